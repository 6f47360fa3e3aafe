using MicroKernel.Processes;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A killed thread that catches its termination is thrown it again at every kernel entry, and is counted out at its
/// <see cref="Kernel.SwallowLimit"/>-th entry after the first: it caught exactly SwallowLimit terminations, and none
/// of its syscalls after the kill ran (its getpid, which
/// does not switch, is refused at the entry itself).
/// </summary>
public sealed class SwallowedTerminationCountTests
{
    [Fact]
    public void The_swallower_is_refused_at_every_entry_and_counted_out_at_the_limit()
    {
        bool disposed = false;
        int caught = 0, ranAfterKill = 0;
        bool killed = false;
        Kernel k = TestKernels.Boot();
        Process p = k.Spawn("stubborn", sys =>
        {
            sys.CreateThread((s, _) =>
            {
                while (true)
                {
                    try
                    {
                        // getpid first: it does not switch, so an entry that let it run would be counted here
                        // (a yield would unwind at the switch anyway).
                        if (s.Pid > 0 && Volatile.Read(ref killed)) ranAfterKill++;
                        s.Yield();
                    }
                    catch (ThreadTerminatedException) when (!Volatile.Read(ref disposed))
                    {
                        caught++;
                    }
                }
            });
            sys.Yield(); // the worker starts and loops
            Volatile.Write(ref killed, true);
            return 9; // exit(9): the worker is killed
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(9);
        int seen = caught, ran = ranAfterKill;
        seen.ShouldBe(Kernel.SwallowLimit);
        ran.ShouldBe(0);
        r.HostReports.ShouldBe([
            $"swallowed termination: tid 2 (stubborn/thread-1) re-entered the kernel {Kernel.SwallowLimit} times after its termination (it catches ThreadTerminatedException); treated as exited with status 9",
        ]);
        Volatile.Write(ref disposed, true);
        k.Dispose();
    }
}
