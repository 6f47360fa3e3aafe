using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// A thread alone on the CPU that yields takes it straight back: no switch, it is running, and its slice starts
/// over there (a thread that wakes later does not find it past its quantum). A thread that woke waits for nothing.
/// </summary>
public class LoneThreadTests
{
    [Fact]
    public void A_lone_yield_keeps_the_cpu_running_and_starts_the_slice_over()
    {
        // b sleeps first (tick 1, until tick 12); a yields alone at ticks 2 to 11, then asks the time from tick 12 on.
        // b wakes at tick 12, one tick into a's new slice: a runs on to its quantum's end (tick 15), then b runs.
        var k = new Kernel(new KernelConfig { Frames = 64, Quantum = 4 });
        long bRan = 0;
        SimThreadState afterYield = SimThreadState.Created;
        string? bWaitsFor = "unset";
        var times = new List<long>();
        k.Spawn("b", sys =>
        {
            sys.Sleep(11);
            bWaitsFor = k.ThreadOf(sys).WaitingFor;
            bRan = sys.Time;
            return 0;
        });
        k.Spawn("a", sys =>
        {
            for (int i = 0; i < 10; i++) sys.Yield();
            afterYield = k.ThreadOf(sys).State;
            for (int i = 0; i < 6; i++) times.Add(sys.Time);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        afterYield.ShouldBe(SimThreadState.Running);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Switch && e.Text == "yield");
        times.ShouldBe([12, 13, 14, 16, 17, 18]);
        bRan.ShouldBe(16 - 1 + 1);
        bWaitsFor.ShouldBeNull("a thread that woke waits for nothing");
    }

    [Fact]
    public void A_thread_woken_from_a_join_or_a_wait_waits_for_nothing()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        var seen = new List<string?>();
        k.Spawn("p", sys =>
        {
            int h = sys.NotifyCreate(null);
            int t = sys.CreateThread((s, arg) =>
            {
                s.Sleep(5);
                s.Notify((int)arg);
                return 0;
            }, (ulong)h);
            sys.Wait(h);
            seen.Add(k.ThreadOf(sys).WaitingFor);
            sys.Join(t);
            seen.Add(k.ThreadOf(sys).WaitingFor);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        seen.ShouldBe([null, null]);
    }
}
