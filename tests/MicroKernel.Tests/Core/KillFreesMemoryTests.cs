using MicroKernel.Processes;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A process that ends by exit gives its memory back at once, not when its last thread has unwound: a thread of
/// another process that runs between the two finds every frame of the dead process free again.
/// </summary>
public sealed class KillFreesMemoryTests
{
    [Fact]
    public void An_exit_frees_the_memory_before_the_other_threads_unwind()
    {
        var k = TestKernels.Boot();
        bool leaverExited = false;
        int freeSeen = -1;
        // The watcher is spawned first, so round-robin runs it right after the leaver's main ends and before the
        // leaver's worker (made ready by the kill, at the end of the queue) unwinds.
        k.Spawn("watcher", sys =>
        {
            while (!Volatile.Read(ref leaverExited)) sys.Yield();
            freeSeen = k.Frames.FreeCount; // a probe from the test: the worker has not unwound yet
            return 0;
        });
        int withWatcherOnly = k.Frames.FreeCount;
        Process leaver = k.Spawn("leaver", sys =>
        {
            sys.Memory.WriteUInt64(sys.Map(4 * 4096), 1);
            sys.CreateThread((s, _) =>
            {
                s.Sleep(100_000); // still asleep when main exits: the kill wakes it to unwind
                return 0;
            });
            sys.Yield(); // the worker starts and sleeps
            Volatile.Write(ref leaverExited, true);
            return 3;
        });
        k.Frames.FreeCount.ShouldBeLessThan(withWatcherOnly);

        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        leaver.ExitStatus.ShouldBe(3);
        freeSeen.ShouldBe(withWatcherOnly, "the leaver's page tables, stack and mapped pages are free as soon as it exits");
        k.ShouldBalance();
    }
}
