using MicroKernel.Hardware;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// <c>expect process=NAME fault=REASON</c> (docs/scenario-format.md): the process was killed by a fault of one of the
/// named reasons, so one scenario can state "the use after send faults" under every protection model, where the
/// reason differs (NotPresent under paging, Supervisor under an MPU).
/// </summary>
public sealed class FaultExpectationTests : IDisposable
{
    private readonly TraceFixture _files = new();

    public void Dispose() => _files.Dispose();

    private static Scenario Parse(string text) => ScenarioParser.Parse(text, "t.scn", ["hello", "faulter"]);

    private string Write(string text)
    {
        string path = _files.PathOf($"s{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void Reasons_parse_by_name_in_the_order_written_and_any_means_every_reason()
    {
        Scenario s = Parse("process f program=faulter\nexpect process=f fault=ReadOnly|NoRegion\nexpect process=f fault=any\n");
        s.Expectations[0].ShouldBe(new FaultExpectation("f", [FaultReason.ReadOnly, FaultReason.NoRegion]) { Line = 2 });
        s.Expectations[0].ToString().ShouldBe("expect process=f fault=ReadOnly|NoRegion");
        s.Expectations[1].ShouldBe(new FaultExpectation("f", []) { Line = 3 });
        s.Expectations[1].ToString().ShouldBe("expect process=f fault=any");
        s.Expectations[0].ShouldNotBe(new FaultExpectation("f", [FaultReason.NoRegion, FaultReason.ReadOnly]) { Line = 2 });
    }

    [Theory]
    [InlineData("expect process=f fault=readonly", "fault", "got 'readonly'")]
    [InlineData("expect process=f fault=1", "fault", "got '1'")]
    [InlineData("expect process=f fault=ReadOnly|", "fault", "got ''")]
    [InlineData("expect process=f fault=", "fault", "expected a fault reason (NotPresent, ReadOnly")]
    [InlineData("expect process=f status=129 fault=ReadOnly", "fault", "not status= and fault=")]
    [InlineData("expect fault=ReadOnly", "process", "missing")]
    [InlineData("expect process=nobody fault=any", "process", "no process named 'nobody'")]
    public void A_malformed_fault_expectation_names_the_line_and_the_field(string line, string field, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => Parse("process f program=faulter\n" + line));
        e.Line.ShouldBe(2);
        e.Field.ShouldBe(field);
        e.Message.ShouldContain(problem);
    }

    [Fact]
    public void A_fault_of_a_named_reason_is_met_and_another_reason_or_a_clean_exit_is_not()
    {
        string path = Write("""
            process f program=faulter
            process h program=hello
            expect process=f fault=ReadOnly
            expect process=f fault=NotPresent|Supervisor
            expect process=f fault=any
            expect process=h fault=any
            """);
        var (code, output, err) = TraceFixture.Mk("run", path);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain($"  met    {path}:3: expect process=f fault=ReadOnly: exited with status 129 after a fault: ReadOnly at 0x10004000");
        output.ShouldContain($"  FAILED {path}:4: expect process=f fault=NotPresent|Supervisor: exited with status 129 after a fault: ReadOnly");
        output.ShouldContain($"  met    {path}:5: expect process=f fault=any:");
        output.ShouldContain($"  FAILED {path}:6: expect process=h fault=any: exited with status 0");
        err.ShouldBe("error: 2 of 4 expectations failed" + Environment.NewLine);
    }

    [Theory]
    [InlineData("Paging")]
    [InlineData("ArmV7Mpu")]
    [InlineData("ArmV8Mpu")]
    public void The_shmem_scenario_holds_its_expectations_under_every_protection_model(string protection)
    {
        var (code, output, err) = TraceFixture.Mk("run", "shmem", "--protection", protection);
        code.ShouldBe(ExitCodes.Ok, output + err);
        output.ShouldContain("expectations: 6 of 6 met");
        output.ShouldContain("expect process=child fault=NotPresent|Supervisor: exited with status");
    }

    [Fact]
    public void A_C_program_linked_past_the_end_of_RAM_is_refused_under_an_MPU_with_the_segment_and_the_frames_it_needs()
    {
        string scenario = Path.Combine(CExamples.RepoRoot, "sim", "scenarios", "c-pages.scn");
        var (code, output, err) = TraceFixture.Mk("run", scenario, "--protection", "ArmV8Mpu");
        code.ShouldBe(ExitCodes.BadInput, output + err);
        err.ShouldContain("c-pages.scn:13: field 'process': cannot spawn 'cproducer': segment 0x400000..0x401000 (r--): ");
        err.ShouldContain("this machine's RAM ends at 0x200000 (512 frames). Give the machine more frames (this segment alone needs at least 1025");
    }
}
