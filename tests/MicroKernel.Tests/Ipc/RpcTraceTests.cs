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
}
