using MicroKernel.Hardware;
using MicroKernel.Processes;
using Stopwatch = System.Diagnostics.Stopwatch;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The watchdog's decision, with the host clock in the test's hands: the looks are made by the test, at timestamps it
/// chooses, while the program is held inside its own code (holding the CPU, as a runaway loop does). The budget is 0
/// here (WatchdogSeconds = 0: no real watchdog looks at the kernel), so the first look only starts the count, a
/// second look with no progress fires, and a gap of more than 1 s between two looks is a host pause that starts
/// the count over.
/// </summary>
public sealed class WatchdogDecisionTests
{
    [Theory]
    [InlineData(new[] { 0.0 }, false)] // the first look starts the count
    [InlineData(new[] { 0.0, 0.0 }, true)] // no time at all is the whole budget of 0
    [InlineData(new[] { 0.0, 0.5 }, true)]
    [InlineData(new[] { 0.0, 1.0 }, true)] // a gap of exactly 1 s is not a pause yet
    [InlineData(new[] { 0.0, 2.0 }, false)] // a gap of 2 s is a pause: the count starts over
    [InlineData(new[] { 0.0, 2.0, 2.5 }, true)] // and the next look fires from there
    public void The_watchdog_fires_only_after_its_budget_and_not_across_a_host_pause(double[] looksAt, bool fires)
    {
        using var held = new ManualResetEventSlim(false);
        using var release = new ManualResetEventSlim(false);
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 1000, WatchdogSeconds = 0 });
        Process p = k.Spawn("looper", sys =>
        {
            _ = sys.Pid;
            held.Set();
            release.Wait(); // inside the program's own code, holding the CPU: no scheduling point
            _ = sys.Pid; // refused once the watchdog took the CPU: the thread unwinds here
            return 4;
        });
        RunResult? result = null;
        var runner = new Thread(() => result = k.Run()); // the run goes on beside the test, which plays the watchdog
        runner.Start();
        held.Wait(TimeSpan.FromSeconds(30)).ShouldBeTrue();

        long t0 = Stopwatch.GetTimestamp();
        foreach (double s in looksAt) k.WatchdogCheck(t0 + (long)(s * Stopwatch.Frequency));
        bool fired = k.WatchdogFired;
        release.Set();
        runner.Join(TimeSpan.FromSeconds(30)).ShouldBeTrue();
        RunResult r = result.ShouldNotBeNull();

        fired.ShouldBe(fires);
        r.Outcome.ShouldBe(RunOutcome.Completed);
        if (fires)
        {
            p.ExitStatus.ShouldBe(128 + (int)FaultReason.Runaway);
            p.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
            r.HostReports.ShouldBe(["watchdog: tid 1 (looper/main) ran 0 s of host time without a scheduling point: its process is killed (Runaway); the run is not deterministic"]);
            r.Deterministic.ShouldBeFalse();
        }
        else
        {
            p.ExitStatus.ShouldBe(4);
            p.Faults.ShouldBeEmpty();
            r.HostReports.ShouldBeEmpty();
        }
        k.Dispose();
    }
}
