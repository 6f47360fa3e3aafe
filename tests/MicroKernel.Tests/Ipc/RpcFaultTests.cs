using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>A service that can be made to crash.</summary>
public interface IFragile
{
    /// <summary>Returns <paramref name="x"/> + 1, or throws when <paramref name="x"/> is negative.</summary>
    long Next(long x);
}

public class RpcFaultTests
{
    private sealed class Fragile : IFragile
    {
        public long Next(long x) => x >= 0 ? x + 1 : throw new InvalidOperationException("negative input");
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void A_callee_that_throws_is_killed_and_the_caller_gets_PeerFaulted(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        long ok = 0, crashed = 0, after = 0;
        var server = k.Spawn("fragile", sys =>
        {
            Rpc.Export<IFragile>(new Fragile(), "fragile");
            sys.Sleep(1000);
            return 0;
        });
        var client = k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("fragile")) < 0) sys.Yield();
            var f = new RpcHandle<IFragile>((ulong)h);
            ok = Rpc.Call(f, s => s.Next(1));
            crashed = Rpc.TryCall(f, s => s.Next(-1));
            after = Rpc.TryCall(f, s => s.Next(2));
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        ok.ShouldBe(2);
        crashed.ShouldBe((long)ErrorCode.PeerFaulted);
        after.ShouldBe((long)ErrorCode.NoSuchObject);
        server.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.UserException);
        server.State.ShouldBe(ProcessState.Exited);
        client.ExitStatus.ShouldBe(0);
        log.Events.ShouldContain(e => e.Kind == EventKind.RpcReturn && e.Result == (long)ErrorCode.PeerFaulted);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void A_restarting_service_answers_ServiceRestarting_then_serves_again_under_the_same_handle()
    {
        var k = TestKernels.Boot();
        var results = new List<long>();
        var server = k.Spawn("fragile", sys =>
        {
            // A restarted incarnation takes a while to initialise: calls meanwhile get ServiceRestarting.
            if (sys.Generation > 0) sys.Sleep(20);
            Rpc.Export<IFragile>(new Fragile(), "fragile");
            sys.Sleep(1000);
            return 0;
        }, FaultPolicy.Restart);
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("fragile")) < 0) sys.Yield();
            var f = new RpcHandle<IFragile>((ulong)h);
            results.Add(Rpc.TryCall(f, s => s.Next(-1)));
            long r;
            while ((r = Rpc.TryCall(f, s => s.Next(10))) == (long)ErrorCode.ServiceRestarting)
            {
                if (results[^1] != r) results.Add(r);
                sys.Yield();
            }
            results.Add(r);
            return 0;
        });
        var (run, log) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        results.ShouldBe([(long)ErrorCode.PeerFaulted, (long)ErrorCode.ServiceRestarting, 11]);
        server.Restarts.ShouldBe(1);
        log.Events.ShouldContain(e => e.Kind == EventKind.Restart);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Bad_objects_methods_and_argument_counts_are_refused_with_documented_errors()
    {
        var k = TestKernels.Boot();
        var r = new Dictionary<string, long>();
        RpcHandle<IProbe> probe = default;
        k.Spawn("server", sys =>
        {
            probe = Rpc.Export<IProbe>(new Probe(), "probe");
            try
            {
                Rpc.Export<IProbe>(new Probe(), "probe");
            }
            catch (SyscallException e)
            {
                r["name in use"] = (long)e.Error;
            }
            sys.Sleep(100);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            while (Rpc.TryLookup("probe") < 0) sys.Yield();
            ulong id = probe.Id;
            r["no object"] = Rpc.CallRaw(999, 0, 1, 0);
            r["zero object"] = Rpc.CallRaw(0, 0, 1, 0);
            r["no method"] = Rpc.CallRaw(id, 3, 0);
            r["argc"] = Rpc.CallRaw(id, 2, 1, 5);           // Add takes two
            r["argc high"] = Rpc.CallRaw(id, 2, 5, 5);
            r["reserved bits"] = sys.Syscall(SyscallNumber.RpcCall, id, 2UL | 2UL << 16 | 1UL << 40, 1, 2);
            r["good"] = Rpc.CallRaw(id, 2, 2, 40, 2);
            r["unexport other"] = sys.Syscall(SyscallNumber.RpcUnexport, id);
            r["lookup none"] = Rpc.TryLookup("nothing");
            r["lookup bad ptr"] = sys.Syscall(SyscallNumber.RpcLookup, 0xdead0000, 4);
            r["export bad vtable"] = sys.Syscall(SyscallNumber.RpcExport, 0x400010, 0xdead0000, 1, 0, 0);
            r["export bad entry"] = sys.Syscall(SyscallNumber.RpcExport, 0x400000, 0, 1, 0, 0);
            r["export no methods"] = sys.Syscall(SyscallNumber.RpcExport, 0x400010, 0, 0, 0, 0);
            r["shared zero"] = sys.Syscall(SyscallNumber.RpcShared, 0);
            return 0;
        });
        var (run, _) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        r["name in use"].ShouldBe((long)ErrorCode.NameInUse);
        r["no object"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["zero object"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["no method"].ShouldBe((long)ErrorCode.NoSuchMethod);
        r["argc"].ShouldBe((long)ErrorCode.BadArgCount);
        r["argc high"].ShouldBe((long)ErrorCode.BadArgCount);
        r["reserved bits"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["good"].ShouldBe(42);
        r["unexport other"].ShouldBe((long)ErrorCode.NotPermitted);
        r["lookup none"].ShouldBe((long)ErrorCode.NoSuchObject);
        r["lookup bad ptr"].ShouldBe((long)ErrorCode.BadAddress);
        r["export bad vtable"].ShouldBe((long)ErrorCode.InvalidArgument); // entry 0x400010 is no service object here
        r["export bad entry"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["export no methods"].ShouldBe((long)ErrorCode.InvalidArgument);
        r["shared zero"].ShouldBe((long)ErrorCode.InvalidArgument);
        k.RpcStats.Refused.ShouldBe(6);
        k.ShouldBalance();
    }

    private sealed class Quitter(List<long> seen) : IFragile
    {
        public long Next(long x)
        {
            Sys sys = Rpc.Sys;
            // The thread is borrowed from the caller: a service may not end it...
            seen.Add(sys.Syscall(SyscallNumber.ThreadExit, 5));
            // ...but exit() ends the service's own process, as anywhere in its code.
            if (x > 0) sys.Exit(3);
            return x;
        }
    }

    [Fact]
    public void A_service_may_not_end_the_borrowed_thread_but_its_exit_ends_its_process()
    {
        var k = TestKernels.Boot();
        var seen = new List<long>();
        long first = 0, second = 0;
        var server = k.Spawn("quitter", sys =>
        {
            Rpc.Export<IFragile>(new Quitter(seen), "quitter");
            sys.Sleep(1000);
            return 0;
        });
        var client = k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("quitter")) < 0) sys.Yield();
            var q = new RpcHandle<IFragile>((ulong)h);
            first = Rpc.TryCall(q, s => s.Next(0));
            second = Rpc.TryCall(q, s => s.Next(1));
            return 9;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        seen.ShouldBe([(long)ErrorCode.NotPermitted, (long)ErrorCode.NotPermitted]);
        first.ShouldBe(0);
        second.ShouldBe((long)ErrorCode.PeerFaulted);
        server.ExitStatus.ShouldBe(3);
        client.ExitStatus.ShouldBe(9);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void A_bad_vtable_pointer_is_BadAddress_and_an_unknown_interface_shape_is_refused()
    {
        var k = TestKernels.Boot();
        long badVtable = 0, tooManyArgs = 0;
        k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe());                         // entry 0x400010, unnamed
            badVtable = sys.Syscall(SyscallNumber.RpcExport, 0x400010, 0xdead0000, 1, 0, 0);
            ulong table = sys.Map(4096);
            sys.Memory.WriteByte(table, 5);                           // a method of 5 arguments
            tooManyArgs = sys.Syscall(SyscallNumber.RpcExport, 0x400010, table, 1, 0, 0);
            return 0;
        });
        var (run, _) = k.RunLogged();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        badVtable.ShouldBe((long)ErrorCode.BadAddress);
        tooManyArgs.ShouldBe((long)ErrorCode.InvalidArgument);
        k.ShouldBalance();
    }
}
