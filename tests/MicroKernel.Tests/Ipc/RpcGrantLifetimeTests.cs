using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

public class RpcGrantLifetimeTests
{
    public static TheoryData<ProtectionModel> Models => [ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu];

    [Theory]
    [MemberData(nameof(Models))]
    public void A_kept_grant_serves_repeated_calls_and_is_rebuilt_when_the_SHARED_buffers_change(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var seen = new List<long>();
        long afterUnmap = 0;
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(), "probe");
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            var probe = new RpcHandle<IProbe>((ulong)h);
            ulong first = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(first, 1);
            for (int i = 0; i < 5; i++) seen.Add(Rpc.Call(probe, s => s.Peek(first)));
            // A buffer made after the grant was built must be visible to the next call.
            ulong second = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(second, 2);
            seen.Add(Rpc.Call(probe, s => s.Peek(second)));
            // And one unmapped must be gone from it.
            sys.Unmap(first, 4096);
            afterUnmap = Rpc.TryCall(probe, s => s.Peek(first));
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        seen.ShouldBe([1, 1, 1, 1, 1, 2]);
        afterUnmap.ShouldBe((long)ErrorCode.PeerFaulted);
        k.RpcStats.GrantsReused.ShouldBe(4);
        k.RpcStats.GrantsBuilt.ShouldBe(3);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Frame_accounting_balances_during_a_call_while_the_grant_pins_SHARED_frames(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        IReadOnlyList<string>? during = null, after = null;
        long depthDuring = 0;
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(_ =>
            {
                during = k.CheckInvariants();
                depthDuring = k.Scheduler.Current!.RpcDepth; // the test host looks at the running thread
            }), "probe");
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            ulong shared = Rpc.Shared(4 * 4096);
            Rpc.Call(new RpcHandle<IProbe>((ulong)h), p => p.Peek(shared));
            // The kept grant still pins the buffer after unmapping; the books must balance anyway.
            sys.Unmap(shared, 4 * 4096);
            after = k.CheckInvariants();
            return k.Scheduler.Current!.RpcDepth;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        depthDuring.ShouldBe(1);
        during.ShouldNotBeNull().ShouldBeEmpty();
        after.ShouldNotBeNull().ShouldBeEmpty();
        r.Processes.Single(p => p.Name == "client").ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void A_proxy_makes_the_same_calls_and_throws_on_errors()
    {
        var k = TestKernels.Boot();
        long sum = 0, peeked = 0;
        ErrorCode? error = null;
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(), "probe");
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            IProbe probe = Rpc.Proxy(new RpcHandle<IProbe>((ulong)h));
            ulong shared = Rpc.Shared(4096);
            probe.Poke(shared, 77);
            peeked = probe.Peek(shared);
            sum = probe.Add(40, 2);
            try
            {
                Rpc.Proxy(new RpcHandle<IProbe>(99)).Add(1, 1);
            }
            catch (SyscallException e)
            {
                error = e.Error;
            }
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        peeked.ShouldBe(77);
        sum.ShouldBe(42);
        error.ShouldBe(ErrorCode.NoSuchObject);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void A_caller_killed_during_its_call_releases_the_grant_and_the_service_goes_on(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        bool inCall = false;
        long laterCall = 0;
        var server = k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(_ =>
            {
                inCall = true;
                for (int i = 0; i < 50; i++) Rpc.Sys.Yield();
            }), "probe");
            sys.Sleep(1000);
            return 0;
        });
        var victim = k.Spawn("victim", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("probe")) < 0) sys.Yield();
            ulong shared = Rpc.Shared(4096);
            sys.CreateThread((s, _) =>
            {
                while (!inCall) s.Yield();
                s.Memory.WriteUInt64(0x10, 1);   // a null-page write: the process dies mid-call
                return 0;
            });
            return Rpc.TryCall(new RpcHandle<IProbe>((ulong)h), p => p.Peek(shared));
        });
        k.Spawn("later", sys =>
        {
            while (victim.State == ProcessState.Running) sys.Yield();
            long h = Rpc.TryLookup("probe");
            laterCall = Rpc.TryCall(new RpcHandle<IProbe>((ulong)h), p => p.Add(2, 3));
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        victim.Faults.ShouldHaveSingleItem();
        server.Faults.ShouldBeEmpty();
        laterCall.ShouldBe(5);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }
}
