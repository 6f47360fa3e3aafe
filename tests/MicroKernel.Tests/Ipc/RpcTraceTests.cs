using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// What one RPC call leaves in the event stream and in the family's counters, field by field (docs/rpc.md,
/// EventKind.RpcEnter/RpcReturn): the replay checker and `mk trace show` read these fields.
/// </summary>
public class RpcTraceTests
{
    [Fact]
    public void A_call_is_traced_with_its_object_method_depth_caller_and_SHARED_pages_and_counted()
    {
        var k = TestKernels.Boot();
        long first = 0, second = 0;
        int clientTid = 0;
        var server = k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(), "probe");
            sys.Sleep(1000);
            return 0;
        });
        var client = k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            var probe = new RpcHandle<IProbe>((ulong)h);
            clientTid = k.ThreadOf(sys).Tid;
            Rpc.Shared(2 * 4096);
            first = Rpc.Call(probe, s => s.Add(40, 2));
            second = Rpc.Call(probe, s => s.Add(1, 2));
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        first.ShouldBe(42);
        second.ShouldBe(3);
        KernelEvent enter = log.Events.First(e => e.Kind == EventKind.RpcEnter);
        enter.Pid.ShouldBe(server.Pid, "the thread acts for the callee during the call");
        enter.Tid.ShouldBe(clientTid);
        (enter.A0, enter.A1, enter.A2, enter.A3, enter.A4, enter.A5).ShouldBe((1UL, 2UL, 1UL, 0UL, (ulong)client.Pid, 2UL));
        KernelEvent ret = log.Events.First(e => e.Kind == EventKind.RpcReturn);
        ret.Pid.ShouldBe(client.Pid, "back with its caller");
        ret.Tid.ShouldBe(clientTid);
        (ret.A0, ret.A1, ret.A2, ret.Result).ShouldBe((1UL, 2UL, 1UL, 42L));
        var f = new EventFormatter(k.Syscalls);
        f.Format(enter).ShouldEndWith($"rpc enter object 1 method 2 depth 1 from pid {client.Pid}: grant 2 SHARED pages, 0 MPU regions");
        f.Format(ret).ShouldEndWith("rpc return object 1 method 2 depth 1 = 42, grants revoked");
        k.RpcStats.Calls.ShouldBe(2);
        k.RpcStats.GrantsBuilt.ShouldBe(1);
        k.RpcStats.GrantsReused.ShouldBe(1);
        k.RpcStats.SharedPagesGranted.ShouldBe(4);
        k.RpcStats.MaxDepth.ShouldBe(1);
        k.RpcStats.LastMpuRegions.ShouldBe(0);
        k.RpcStats.Refused.ShouldBe(0);
        k.RpcStats.CalleeFaults.ShouldBe(0);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void A_call_whose_grant_finds_no_MPU_region_is_counted_as_refused_and_reaches_no_method()
    {
        var k = TestKernels.Boot(ProtectionModel.ArmV7Mpu);
        var results = new List<long>();
        ulong handle = 0;
        long objectCalls = 0;
        k.Spawn("server", sys =>
        {
            handle = Rpc.Export<IProbe>(new Probe(), "probe").Id;   // the export's scratch page: region 1
            for (int i = 0; i < 4; i++) sys.Map(4096);                // regions 2..5
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            var probe = new RpcHandle<IProbe>((ulong)h);
            for (int i = 0; i < 4; i++)
            {
                Rpc.Shared(4096);
                results.Add(Rpc.TryCall(probe, s => s.Add(i, 1)));
            }
            // The object's own count (read while its owner lives: an exited owner's objects are gone).
            objectCalls = k.Family<MicroKernel.Ipc.Rpc.RpcIpc>().Find(handle)!.Calls;
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        results.ShouldBe([1, 2, 3, (long)ErrorCode.NoMpuRegion]);
        k.RpcStats.Calls.ShouldBe(3);
        k.RpcStats.Refused.ShouldBe(1, "a call refused for want of a region is a refused call");
        k.RpcStats.RegionRefusals.ShouldBe(1);
        k.RpcStats.LastMpuRegions.ShouldBe(8);
        log.Events.Count(e => e.Kind == EventKind.RpcEnter).ShouldBe(3);
        objectCalls.ShouldBe(3, "the object counts the calls that reached one of its methods");
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }
}
