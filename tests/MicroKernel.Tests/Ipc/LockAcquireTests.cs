using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>The C# lock API says when the previous holder died (the wait result 1), instead of hiding it in a bool.</summary>
public class LockAcquireTests
{
    [Fact]
    public void Acquire_tells_a_dead_previous_holder_from_a_live_one_and_a_timeout()
    {
        var k = TestKernels.Boot();
        var seen = new List<LockAcquisition>();
        k.Spawn("p", sys =>
        {
            Notification l = Notification.CreateLock(sys);
            int holder = sys.CreateThread((s, _) =>
            {
                seen.Add(l.On(s).Acquire());
                return 0; // ends holding the lock
            });
            sys.Join(holder);
            seen.Add(l.Acquire());          // the kernel released it for the dead holder
            int tryer = sys.CreateThread((s, _) =>
            {
                seen.Add(l.On(s).Acquire(0)); // held by main: not taken
                seen.Add(l.On(s).Acquire(5)); // still held after 5 ticks
                return 0;
            });
            sys.Join(tryer);
            l.Release();
            seen.Add(l.Acquire());          // given back: an ordinary take
            l.Release();
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        seen.ShouldBe([LockAcquisition.Acquired, LockAcquisition.PreviousHolderDied, LockAcquisition.TimedOut, LockAcquisition.TimedOut,
            LockAcquisition.Acquired]);
    }

    [Fact]
    public void Release_by_a_thread_that_does_not_hold_the_lock_is_refused()
    {
        var k = TestKernels.Boot();
        Exception? refused = null;
        k.Spawn("p", sys =>
        {
            Notification l = Notification.CreateLock(sys);
            refused = Record.Exception(() => l.Release());
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        refused.ShouldBeOfType<SyscallException>().Error.ShouldBe(Syscalls.ErrorCode.NotPermitted);
    }
}
