using MicroKernel.Sim.Cli;
using MicroKernel.Tests.Tracing;

namespace MicroKernel.Tests.Streams;

/// <summary>The built-in <c>streams</c> scenario from the CLI, under paging and ARMv7-M, and its record and replay.</summary>
public class StreamsScenarioTests
{
    [Theory]
    [InlineData("Paging")]
    [InlineData("ArmV7Mpu")]
    [InlineData("ArmV8Mpu")]
    public void The_scenario_meets_every_expectation(string protection)
    {
        var (code, output, err) = TraceFixture.Mk("run", "streams", "--protection", protection);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("expectations: 10 of 10 met");
        output.ShouldContain("camera: display 24 of 24 by reference (descriptors only), 0 refused, every buffer back");
        output.ShouldContain("display: 24 frames read in place in the camera's pool (0 out of order, 0 corrupt), end received");
        output.ShouldContain("camera: analytics 10 of 24 copied across its boundary, 14 refused, its process is gone");
        output.ShouldContain("frames: 511 free, 1 kernel, 0 user of 512");
    }

    [Theory]
    [InlineData("Paging")]
    [InlineData("ArmV7Mpu")]
    [InlineData("ArmV8Mpu")]
    public void Record_replay_and_syscalls_only_replay_match_with_zero_divergence(string protection)
    {
        using var f = new TraceFixture();
        string trace = f.Record("streams", "--protection", protection);
        var (code, output, _) = TraceFixture.Mk("replay", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain($"OK: all {TraceFixture.Read(trace).Events.Count} events match the recording");
        (code, output, _) = TraceFixture.Mk("replay", "--syscalls-only", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("every result as recorded");
        File.ReadAllBytes(trace).ShouldBe(File.ReadAllBytes(f.Record("streams", "--protection", protection)));
    }
}
