using MicroKernel.Processes;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// The host thread behind a host-threaded simulated thread (a C# program's): it is named after the thread it runs
/// (debuggers, dumps and the kernel's host reports show that name) and is a background thread (a parked one never
/// keeps the host process alive); and a thread that was never dispatched runs none of its code when the kernel is
/// disposed instead of run, nor does one parked when a run stopped early.
/// </summary>
public class HostThreadTests
{
    [Fact]
    public void Each_simulated_thread_runs_on_a_background_host_thread_named_after_it()
    {
        using Kernel k = TestKernels.Boot();
        var seen = new List<(int Pid, int Tid, string? Name, bool Background)>();
        void Note(Userland.Runtime.Sys sys) =>
            seen.Add((sys.Pid, k.ThreadOf(sys).Tid, Thread.CurrentThread.Name, Thread.CurrentThread.IsBackground));
        k.Spawn("first", sys =>
        {
            Note(sys);
            return sys.Join(sys.CreateThread((s, _) => { Note(s); return 0; }));
        });
        k.Spawn("second", sys => { Note(sys); return 0; });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        seen.OrderBy(s => s.Tid).ShouldBe(
        [
            (1, 1, "sim pid 1 tid 1", true),
            (2, 2, "sim pid 2 tid 2", true),
            (1, 3, "sim pid 1 tid 3", true),
        ]);
    }

    [Fact]
    public void A_kernel_disposed_instead_of_run_runs_none_of_its_threads_code()
    {
        int ran = 0;
        var image = new TestImage("never")
        {
            Body = (_, _) =>
            {
                Interlocked.Increment(ref ran);
                return 0;
            },
        };
        var k = new Kernel(new KernelConfig { Frames = 64 });
        k.Spawn(image, "never", out _).ShouldBe(ErrorCode.Ok);
        k.Spawn(image, "never", out _).ShouldBe(ErrorCode.Ok);
        k.HostThreadsStarted.ShouldBe(2);
        k.Dispose(); // releases both host threads and waits for them to end
        k.LiveHostThreads.ShouldBe(0);
        ran.ShouldBe(0);
        k.HostReports.ShouldBeEmpty();
    }

    [Fact]
    public void A_kernel_disposed_after_its_tick_limit_unwinds_its_parked_threads_without_running_their_code()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 50 });
        int yields = 0;
        for (int i = 0; i < 2; i++)
        {
            k.Spawn("spinner", sys =>
            {
                for (; ; )
                {
                    sys.Yield();
                    Interlocked.Increment(ref yields);
                }
            });
        }
        k.Run().Outcome.ShouldBe(RunOutcome.TickLimit);
        int atEnd = Volatile.Read(ref yields);
        k.Dispose(); // the threads parked in a yield unwind from there: no yield returns to its program
        k.LiveHostThreads.ShouldBe(0);
        Volatile.Read(ref yields).ShouldBe(atEnd);
        k.HostReports.ShouldBeEmpty();
    }
}
