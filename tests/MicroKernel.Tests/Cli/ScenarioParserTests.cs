using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Tests.Cli;

public class ScenarioParserTests
{
    private static readonly string[] Programs = ["hello", "sieve"];

    private static Scenario Parse(string text) => ScenarioParser.Parse(text, "t.scn", Programs);

    [Fact]
    public void A_full_scenario_parses()
    {
        Scenario s = Parse("""
            name demo2
            memory 256
            protection armv8m
            mpu-regions 16
            scheduler priority   # comment
            seed 9
            quantum 3
            accesses-per-tick 10
            max-ticks 5000
            tlb-size 32
            process a program=hello priority=2 fault=restart restarts=2
            process b program=sieve args="100 x"
            """);
        s.Name.ShouldBe("demo2");
        s.Config.ShouldBe(new KernelConfig
        {
            Frames = 256, Protection = ProtectionModel.ArmV8Mpu, MpuRegions = 16, Policy = PolicyKind.Priority,
            Seed = 9, Quantum = 3, AccessesPerTick = 10, MaxTicks = 5000, TlbSize = 32,
        });
        s.Processes.Count.ShouldBe(2);
        s.Processes[0].ShouldBe(new ProcessSpec("a", "hello", 2, FaultPolicy.Restart, 2, [], 11) with { Arguments = s.Processes[0].Arguments });
        s.Processes[1].Arguments.ShouldBe(["100", "x"]);
    }

    [Theory]
    [InlineData("", MicroKernel.Invariants.CheckLevel.End)]
    [InlineData("check end\n", MicroKernel.Invariants.CheckLevel.End)]
    [InlineData("check syscall\n", MicroKernel.Invariants.CheckLevel.Syscall)]
    [InlineData("check tick\n", MicroKernel.Invariants.CheckLevel.Tick)]
    public void Check_sets_when_the_kernel_checks_its_invariants(string directive, MicroKernel.Invariants.CheckLevel level) =>
        Parse(directive + "process a program=hello").Config.Check.ShouldBe(level);

    [Theory]
    [InlineData("memory 12\nprocess a program=hello", 1, "memory", "out of range")]
    [InlineData("memory lots\nprocess a program=hello", 1, "memory", "expected an integer")]
    [InlineData("memory 64 65\nprocess a program=hello", 1, "memory", "exactly one value")]
    [InlineData("protection segmentation\nprocess a program=hello", 1, "protection", "expected paging, armv7m or armv8m")]
    [InlineData("scheduler fifo\nprocess a program=hello", 1, "scheduler", "round-robin")]
    [InlineData("mpu-regions 12\nprocess a program=hello", 1, "mpu-regions", "must be 8 or 16")]
    [InlineData("tlb-size 48\nprocess a program=hello", 1, "tlb-size", "power of two")]
    [InlineData("seed -1\nprocess a program=hello", 1, "seed", "non-negative")]
    [InlineData("frobnicate 1\nprocess a program=hello", 1, "frobnicate", "unknown directive")]
    [InlineData("check often\nprocess a program=hello", 1, "check", "expected end, syscall or tick, got 'often'")]
    [InlineData("seed 1\nseed 2\nprocess a program=hello", 2, "seed", "given twice")]
    [InlineData("\n\nprocess a", 3, "program", "missing")]
    [InlineData("process a program=nope", 1, "program", "unknown program 'nope'")]
    [InlineData("process a program=hello colour=red", 1, "colour", "unknown key")]
    [InlineData("process a program=hello fault=ignore", 1, "fault", "kill or restart")]
    [InlineData("process a program=hello priority=1 priority=2", 1, "priority", "given twice")]
    [InlineData("process a program=hello\nprocess a program=sieve", 2, "process", "exists already")]
    [InlineData("process program=hello", 1, "process", "expected a process name")]
    [InlineData("process a program=hello args=\"x", 1, "process", "unterminated quote")]
    [InlineData("seed 4", 1, "process", "starts no process")]
    public void Errors_name_the_line_and_the_field(string text, int line, string field, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => Parse(text));
        e.Line.ShouldBe(line);
        e.Field.ShouldBe(field);
        e.Message.ShouldStartWith($"t.scn:{line}: field '{field}': ");
        e.Message.ShouldContain(problem);
    }
}
