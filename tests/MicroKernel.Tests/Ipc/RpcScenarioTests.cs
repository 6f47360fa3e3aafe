using MicroKernel.Sim.Cli;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tests.X86;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Ipc;

/// <summary>sim/scenarios/rpc.scn, the seed's temperature sensor and fan, through the mk command line.</summary>
public class RpcScenarioTests
{
    private static readonly string Scenario = Path.Combine(CExamples.RepoRoot, "sim", "scenarios", "rpc.scn");

    [Theory]
    [InlineData("Paging")]
    [InlineData("ArmV7Mpu")]
    [InlineData("ArmV8Mpu")]
    public void The_rpc_demo_records_the_same_trace_twice_and_replays_with_zero_divergence(string protection)
    {
        using var f = new TraceFixture();
        string first = f.Record(Scenario, "--protection", protection);
        string second = f.Record(Scenario, "--protection", protection);
        File.ReadAllBytes(second).ShouldBe(File.ReadAllBytes(first));
        var (code, output, err) = TraceFixture.Mk("replay", first);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain($"OK: all {TraceFixture.Read(first).Events.Count} events match the recording");
    }

    [Fact]
    public void The_rpc_demo_switches_the_fan_and_survives_the_sensor_restart()
    {
        using var f = new TraceFixture();
        var trace = TraceFixture.Read(f.Record(Scenario));
        List<KernelEvent> events = trace.Events.Select(e => e.Event).ToList();
        string console = string.Concat(events.Where(e => e.Kind == EventKind.Console).Select(e => e.Text));
        console.ShouldContain("fan: on at tick");
        console.ShouldContain("fan: off at tick");
        console.ShouldContain("sensor: restarted by its supervisor");
        console.ShouldContain("control: last readings");
        // Nested: the sensor asks the fan from inside the controller's call.
        events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 2);
        events.ShouldContain(e => e.Kind == EventKind.RpcReturn && e.Result == (long)Syscalls.ErrorCode.PeerFaulted);
        events.ShouldContain(e => e.Kind == EventKind.SyscallExit && e.Result == (long)Syscalls.ErrorCode.ServiceRestarting);
        events.Count(e => e.Kind == EventKind.RpcEnter).ShouldBe(events.Count(e => e.Kind == EventKind.RpcReturn));
        events.Where(e => e.Kind == EventKind.ProcessExit).ShouldAllBe(e => e.Code == 0);
    }

    [Fact]
    public void The_run_account_reports_the_calls_and_the_MPU_regions_per_grant()
    {
        var (code, output, err) = TraceFixture.Mk("run", Scenario, "--protection", "ArmV7Mpu");
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain("rpc: 41 calls (7 grants built, 34 reused), 3 refused, 1 callee faults, depth up to 2, MPU regions per grant up to 3");
        output.ShouldContain("invariants: frame accounting balances");
    }

    [Fact]
    public void Trace_driven_replay_of_the_rpc_demo_reports_its_limit_instead_of_crashing()
    {
        using var f = new TraceFixture();
        string trace = f.Record(Scenario);
        var (code, output, err) = TraceFixture.Mk("replay", "--syscalls-only", trace);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Divergence);
        output.ShouldContain("puppets cannot export service objects");
    }
}
