using MicroKernel.Sim.Cli;
using MicroKernel.Tests.Tracing;

namespace MicroKernel.Tests.Portals;

/// <summary>The built-in <c>portals</c> scenario from the CLI (the seed's A/B/C picture), and its record and replay.</summary>
public class PortalsScenarioTests
{
    [Fact]
    public void The_route_shortens_to_one_hop_and_every_expectation_is_met()
    {
        var (code, output, err) = TraceFixture.Mk("run", "portals");
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("expectations: 7 of 7 met");
        output.ShouldContain("B: route before: pid 2: proxy 3 (side 1) between this node and pid 1");
        output.ShouldContain("A: route before: pid 1: proxy 3 (side 1) between pid 2 and pid 3");
        output.ShouldContain("C: got 'B0' after 2 hops");
        output.ShouldContain("B: route after: pid 2: portal 2 (side 0) -> pid 3 (central)");
        output.ShouldContain("C: route after: pid 3: portal 2 (side 1) -> pid 2 (central)");
        output.ShouldContain("A: B and C left; I introduced 1 pair");
        output.ShouldContain("frames: 511 free, 1 kernel, 0 user of 512");
        output.ShouldContain("0 left open");
    }

    [Fact]
    public void Record_replay_and_syscalls_only_replay_match_with_zero_divergence()
    {
        using var f = new TraceFixture();
        string trace = f.Record("portals");
        var (code, output, _) = TraceFixture.Mk("replay", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain($"OK: all {TraceFixture.Read(trace).Events.Count} events match the recording");
        (code, output, _) = TraceFixture.Mk("replay", "--syscalls-only", trace);
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("every result as recorded");
        File.ReadAllBytes(trace).ShouldBe(File.ReadAllBytes(f.Record("portals")));
    }
}
