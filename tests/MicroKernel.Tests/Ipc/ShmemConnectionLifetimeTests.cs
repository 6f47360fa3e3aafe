using MicroKernel.Ipc.Shmem;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// When a shared-memory connection ends and what a later call on it or on the same pair gets: a pair that closed
/// its connection connects again to a new one; a connection whose only survivable segment was destroyed ends with
/// its peer's exit (a close then says ProcessExited); a pid that cannot exist is no process.
/// </summary>
public class ShmemConnectionLifetimeTests
{
    private static readonly Func<Sys, long> Peer = ShmemKit.Peer((_, _) => 0);

    private static long Raw(Sys sys, SyscallNumber n, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0) => ShmemKit.Raw(sys, n, a0, a1, a2);

    [Fact]
    public void A_pair_that_closed_its_connection_connects_again_to_a_new_one()
    {
        var k = ShmemKit.Boot();
        var r = new Dictionary<string, long>();
        k.Spawn("owner", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            r["first"] = sys.ShmConnect(2);
            r["same"] = sys.ShmConnect(2);
            r["close"] = Raw(sys, SyscallNumber.ShmClose, (ulong)r["first"]);
            r["again"] = sys.ShmConnect(2);
            r["create"] = Raw(sys, SyscallNumber.ShmCreate, (ulong)r["again"], 4096);
            r["create-closed"] = Raw(sys, SyscallNumber.ShmCreate, (ulong)r["first"], 4096);
            ShmemKit.StopPeer(sys);
            return 0;
        });
        k.Spawn("peer", Peer);
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        r["same"].ShouldBe(r["first"], "one connection per pair while it is open");
        r["close"].ShouldBe(0);
        r["again"].ShouldBe(r["first"] + 1, "a new connection, not the closed one");
        r["create"].ShouldBeGreaterThan(0);
        r["create-closed"].ShouldBe((long)ErrorCode.NoSuchConnection);
        k.ShouldBalance();
    }

    [Fact]
    public void A_connection_whose_survivable_segment_was_destroyed_ends_with_its_peer()
    {
        var k = ShmemKit.Boot();
        long destroy = 0, close = 1, create = 1;
        k.Spawn("owner", sys =>
        {
            ShmemKit.AwaitPeer(sys);
            int c = sys.ShmConnect(2);
            int s = sys.ShmCreate(c, 4096, ShmemFlags.Unsafe | ShmemFlags.Survives);
            destroy = Raw(sys, SyscallNumber.ShmDestroy, (ulong)s);
            ShmemKit.StopPeer(sys);
            while (k.FindProcess(2)!.State == ProcessState.Running) sys.Yield();
            create = Raw(sys, SyscallNumber.ShmCreate, (ulong)c, 4096);
            close = Raw(sys, SyscallNumber.ShmClose, (ulong)c);
            return 0;
        });
        k.Spawn("peer", Peer);
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        destroy.ShouldBe(0);
        create.ShouldBe((long)ErrorCode.ProcessExited);
        close.ShouldBe((long)ErrorCode.ProcessExited, "no segment was left to survive: the peer's exit closed the connection");
        k.Family<ShmemIpc>().Connections.ShouldBeEmpty();
        k.ShouldBalance();
    }

    [Fact]
    public void The_largest_pid_is_no_process_and_one_past_it_no_pid_at_all()
    {
        var k = ShmemKit.Boot();
        long largest = 0, past = 0;
        k.Spawn("owner", sys =>
        {
            largest = Raw(sys, SyscallNumber.ShmConnect, int.MaxValue);
            past = Raw(sys, SyscallNumber.ShmConnect, (ulong)int.MaxValue + 1);
            return 0;
        });
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed, run.Panic?.ToString());
        largest.ShouldBe((long)ErrorCode.NoSuchProcess);
        past.ShouldBe((long)ErrorCode.InvalidArgument);
        k.ShouldBalance();
    }
}
