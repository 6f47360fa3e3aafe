using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Tests.Cli;

/// <summary>--watchdog on mk run, and how the run report shows host reports and lost determinism.</summary>
public class WatchdogCliTests
{
    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void A_watchdog_that_does_not_fire_changes_no_byte_of_the_report()
    {
        var (code, withWatchdog, err) = Mk("run", "demo", "--watchdog", "2");
        code.ShouldBe(ExitCodes.Ok, err);
        Mk("run", "demo", "--watchdog", "0").Out.ShouldBe(withWatchdog);
        Mk("run", "demo").Out.ShouldBe(withWatchdog);
        withWatchdog.ShouldNotContain("determinism");
    }

    [Theory]
    [InlineData("-1")]
    [InlineData("soon")]
    public void A_bad_watchdog_value_is_a_usage_error(string value)
    {
        var (code, _, err) = Mk("run", "demo", "--watchdog", value);
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldNotBeEmpty();
    }

    [Fact]
    public void The_report_names_the_runaway_and_says_the_run_is_not_deterministic()
    {
        using var release = new ManualResetEventSlim(false);
        Scenario s = ScenarioParser.Parse("name runaway\nprocess hello program=hello\n", "runaway.scn", ScenarioRunner.Programs);
        using Kernel k = ScenarioRunner.Boot(s with { Config = s.Config with { WatchdogSeconds = 0.2 } });
        k.Spawn("spin", sys =>
        {
            while (!release.IsSet) Thread.SpinWait(1000);
            return 0;
        });
        var output = new StringWriter();
        var report = new RunReport(output, showSwitches: false, dumpMaps: false);
        k.AddSink(report.Printer(k));
        RunResult result = k.Run();
        release.Set();
        report.Summary(k, result);
        string text = output.ToString();
        text.ShouldContain($"FAULT {FaultReason.Runaway}");
        text.ShouldContain($"Exited ({128 + (int)FaultReason.Runaway})");
        text.ShouldContain("watchdog: tid 2 (spin/main) ran 0.2 s of host time without a scheduling point");
        text.ShouldContain("determinism: NOT deterministic: the host watchdog fired, so this run depended on host time");
    }
}
