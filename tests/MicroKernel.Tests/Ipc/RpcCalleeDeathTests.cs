using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>A service that sleeps, or passes the call on to another service.</summary>
public interface IChain
{
    /// <summary>Calls the next service of the chain at <paramref name="depth"/> + 1, or sleeps when there is none.</summary>
    long Down(long depth);
}

/// <summary>
/// A callee process that dies while a caller's thread is inside one of its methods (docs/rpc.md, "Faults"): the
/// call ends at once with PeerFaulted, however deep the dead process's frames sit in the thread's call stack, and no
/// code of the dead process runs again on that thread.
/// </summary>
public class RpcCalleeDeathTests
{
    private sealed class Chain(string name, Func<long, RpcHandle<IChain>?> next, List<string> seen) : IChain
    {
        public long Down(long depth)
        {
            Sys sys = Rpc.Sys;
            if (next(depth) is not { } n)
            {
                sys.Sleep(1000);
                seen.Add($"{name} woke at tick {sys.Time}");
                return 1;
            }
            long r = Rpc.TryCall(n, s => s.Down(depth + 1));
            seen.Add($"{name} at depth {depth} got {r}");
            return r;
        }
    }

    private static RpcHandle<IChain> WaitFor(Sys sys, string name)
    {
        long h;
        while ((h = Rpc.TryLookup(name)) < 0) sys.Yield();
        return new RpcHandle<IChain>((ulong)h);
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void A_callee_that_exits_while_a_caller_sleeps_in_its_method_ends_the_call_at_its_exit(ProtectionModel model)
    {
        var k = new Kernel(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        var seen = new List<string>();
        long result = 0, returnedAt = 0, exitedAt = 0;
        var server = k.Spawn("sleeper", sys =>
        {
            Rpc.Export<IChain>(new Chain("sleeper", _ => null, seen), "sleeper");
            sys.Sleep(20);
            exitedAt = sys.Time;
            sys.Exit(5);
            return 0;
        });
        var client = k.Spawn("client", sys =>
        {
            var sleeper = WaitFor(sys, "sleeper");
            result = Rpc.TryCall(sleeper, s => s.Down(1));
            returnedAt = sys.Time;
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        result.ShouldBe((long)ErrorCode.PeerFaulted);
        // Woken by the exit (not by its sleep's end at tick 1000), and the dead service's code never ran on.
        returnedAt.ShouldBeInRange(exitedAt, exitedAt + 5);
        seen.ShouldBeEmpty();
        server.ExitStatus.ShouldBe(5);
        client.ExitStatus.ShouldBe(0);
        k.RpcStats.CalleeFaults.ShouldBe(1);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_process_that_dies_with_two_frames_on_a_callers_stack_runs_no_more_code_when_the_inner_call_ends(ProtectionModel model)
    {
        // client -> a (depth 1) -> a again (depth 2) -> leaf (depth 3, sleeps); a exits while the leaf sleeps. Both of
        // a's frames are aborted: when the leaf's call ends, the thread must unwind through a's code to the client.
        var k = new Kernel(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        var seen = new List<string>();
        long result = 0, returnedAt = 0;
        RpcHandle<IChain> a = default, leaf = default;
        var leafProcess = k.Spawn("leaf", sys =>
        {
            leaf = Rpc.Export<IChain>(new Chain("leaf", _ => null, seen), "leaf");
            sys.Sleep(2000);
            return 7;
        });
        var aProcess = k.Spawn("a", sys =>
        {
            WaitFor(sys, "leaf");
            a = Rpc.Export<IChain>(new Chain("a", d => d == 1 ? a : leaf, seen), "a");
            sys.Sleep(20);
            sys.Exit(5);
            return 0;
        });
        var client = k.Spawn("client", sys =>
        {
            var first = WaitFor(sys, "a");
            result = Rpc.TryCall(first, s => s.Down(1));
            returnedAt = sys.Time;
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        result.ShouldBe((long)ErrorCode.PeerFaulted);
        returnedAt.ShouldBeLessThan(1000);
        seen.ShouldBeEmpty("neither the leaf's nap nor a's code after its nested calls ran on");
        log.Events.Where(e => e.Kind == EventKind.RpcEnter).Select(e => (long)e.A2).ShouldBe([1, 2, 3]);
        aProcess.ExitStatus.ShouldBe(5);
        leafProcess.ExitStatus.ShouldBe(7, "the leaf did nothing wrong: it lives on");
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void A_name_answers_ServiceRestarting_while_its_process_restarts_and_NoSuchObject_once_it_has_exited()
    {
        var k = TestKernels.Boot();
        var lookups = new List<long>();
        var server = k.Spawn("fragile", sys =>
        {
            // The first incarnation crashes at once; the second exports again after 20 ticks, serves a while, exits.
            if (sys.Generation == 0)
            {
                Rpc.Export<IChain>(new Chain("fragile", _ => null, []), "fragile");
                Rpc.Export<IChain>(new Chain("unnamed", _ => null, []));
                sys.Sleep(10);
                throw new InvalidOperationException("crash");
            }
            sys.Sleep(20);
            Rpc.Export<IChain>(new Chain("fragile", _ => null, []), "fragile");
            sys.Sleep(20);
            return 3;
        }, FaultPolicy.Restart);
        k.Spawn("client", sys =>
        {
            while (Rpc.TryLookup("fragile") < 0) sys.Yield();
            lookups.Add(Rpc.TryLookup("fragile"));
            sys.Sleep(15);                                   // the first incarnation crashed at tick 10
            lookups.Add(Rpc.TryLookup("fragile"));
            lookups.Add(Rpc.CallRaw(2, 0, 1, 1));            // the unnamed object did not survive the restart
            sys.Sleep(20);                                   // exported again
            lookups.Add(Rpc.TryLookup("fragile"));
            sys.Sleep(40);                                   // the second incarnation has exited
            lookups.Add(Rpc.TryLookup("fragile"));
            lookups.Add(Rpc.CallRaw(1, 0, 1, 1));
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        lookups.ShouldBe([1, (long)ErrorCode.ServiceRestarting, (long)ErrorCode.NoSuchObject, 1, (long)ErrorCode.NoSuchObject, (long)ErrorCode.NoSuchObject]);
        server.Restarts.ShouldBe(1);
        server.ExitStatus.ShouldBe(3);
    }
}
