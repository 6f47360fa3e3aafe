using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
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
        output.ShouldContain("rpc: 41 calls (7 grants built, 34 reused), 2 refused, 1 callee faults, depth up to 2, MPU regions per grant up to 3");
        output.ShouldContain("invariants: all 11 hold");
    }

    [Theory]
    [InlineData("Paging")]
    [InlineData("ArmV7Mpu")]
    [InlineData("ArmV8Mpu")]
    public void Trace_driven_replay_of_the_rpc_demo_matches_with_puppet_services(string protection)
    {
        using var f = new TraceFixture();
        string path = f.Record(Scenario, "--protection", protection);
        List<KernelEvent> events = TraceFixture.Read(path).Events.Select(e => e.Event).ToList();
        // What the puppets must replay: nested calls, a callee's syscalls, a callee fault and its supervisor restart.
        events.ShouldContain(e => e.Kind == EventKind.RpcEnter && e.A2 == 2);
        events.ShouldContain(e => e.Kind == EventKind.Fault && e.Pid == 2 && e.Tid == 3);
        events.ShouldContain(e => e.Kind == EventKind.Restart);
        // Every syscall that returned, the callees' included (one sleep of the sensor never does: the restart kills it).
        int syscalls = events.Count(e => e.Kind == EventKind.SyscallExit);

        var (code, output, err) = TraceFixture.Mk("replay", "--syscalls-only", path);

        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        output.ShouldContain($"OK: all {events.Count} events match the recording ({syscalls} syscalls re-issued, every result as recorded)");
        output.ShouldNotContain("note:");
        TraceFixture.Mk("replay", "--syscalls-only", path).Out.ShouldBe(output);
    }

    [Theory]
    [InlineData("callee fault", "result: recorded 0, replayed -18")]
    [InlineData("restarting", "result: recorded -20, replayed -24")]
    [InlineData("callee time", "result: recorded 1, replayed 18")]
    public void A_tampered_rpc_result_in_the_trace_diverges_at_that_event(string which, string difference)
    {
        // The kernel decides these results (a callee's fault, a restarting service, a syscall inside a method): a
        // puppet replay re-computes them, so a trace that says otherwise diverges exactly there.
        Func<KernelEvent, bool> target = which switch
        {
            "callee fault" => e => e.Kind == EventKind.RpcReturn && e.Result == (long)Syscalls.ErrorCode.PeerFaulted,
            "restarting" => e => e.Kind == EventKind.SyscallExit && e.Code == (long)Syscalls.SyscallNumber.RpcCall && e.Result == (long)Syscalls.ErrorCode.ServiceRestarting,
            _ => e => e.Kind == EventKind.SyscallExit && e.Code == (long)Syscalls.SyscallNumber.Time && e.Pid == 2 && e.Tid == 3,
        };
        long forged = which switch { "callee fault" => 0, "restarting" => (long)Syscalls.ErrorCode.NoSuchObject, _ => 1 };
        using var f = new TraceFixture();
        string path = f.PathOf("tampered.mktrace");
        long seq = RecordTampered(path, target, forged);

        var (code, output, err) = TraceFixture.Mk("replay", "--syscalls-only", path);

        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Divergence, output);
        output.ShouldContain($"DIVERGENCE at event #{seq} ");
        output.ShouldContain(difference);
    }

    // Records the built-in rpc scenario with the first event matching target given another result; returns its seq.
    private static long RecordTampered(string path, Func<KernelEvent, bool> target, long result)
    {
        Sim.Scenarios.Scenario s = ScenarioRunner.Load("rpc");
        var header = TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("rpc"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());
        using var writer = new TraceWriter(File.Create(path), header);
        var forger = new Forger(writer, target, result);
        writer.Finish(ScenarioRunner.Boot(s, [forger]).Run());
        return forger.Seq ?? throw new InvalidOperationException("the recording has no such event");
    }

    private sealed class Forger(TraceWriter writer, Func<KernelEvent, bool> target, long result) : IEventSink
    {
        public long? Seq { get; private set; }

        public void Emit(in KernelEvent e)
        {
            if (Seq is null && target(e))
            {
                Seq = e.Seq;
                writer.Emit(e with { Result = result });
                return;
            }
            writer.Emit(e);
        }
    }
}
