using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Cli;

public class CliTests
{
    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void No_arguments_runs_the_demo_and_prints_the_same_bytes_twice()
    {
        var (code, first, err) = Mk();
        code.ShouldBe(ExitCodes.Ok, err);
        first.ShouldContain("scenario 'demo'");
        first.ShouldContain("hello from pid 1");
        first.ShouldContain("FAULT ReadOnly on write");
        first.ShouldContain("invariants: all 11 hold");
        Mk().Out.ShouldBe(first);
    }

    [Theory]
    [InlineData("demo", ExitCodes.Ok)]
    [InlineData("mpu", ExitCodes.Ok)]
    [InlineData("deadlock", ExitCodes.Deadlock)]
    public void Built_in_scenarios_run_with_their_exit_codes(string name, int expected)
    {
        var (code, output, _) = Mk("run", name);
        code.ShouldBe(expected);
        output.ShouldContain($"({"builtin:" + name})");
    }

    [Fact]
    public void Overrides_change_the_run()
    {
        var (code, output, _) = Mk("run", "demo", "--protection", "ArmV8Mpu", "--scheduler", "Random", "--seed", "5");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("ArmV8Mpu with 8 regions");
        output.ShouldContain("scheduler: Random");
        output.ShouldContain("seed 5");
    }

    [Fact]
    public void A_malformed_scenario_file_names_file_line_and_field_and_exits_non_zero()
    {
        string path = Path.Combine(Path.GetTempPath(), $"mk-bad-{Guid.NewGuid():N}.scn");
        File.WriteAllText(path, "memory 64\n# fine so far\nprocess a program=hello priority=high\n");
        try
        {
            var (code, output, err) = Mk("run", path);
            code.ShouldBe(ExitCodes.BadInput);
            err.ShouldContain($"{path}:3: field 'priority': expected an integer, got 'high'");
            output.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_missing_scenario_file_is_a_clear_error()
    {
        var (code, _, err) = Mk("run", "/nonexistent/x.scn");
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain("no such file");
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("run", "--help")]
    [InlineData("programs", "--help")]
    [InlineData("scenarios", "--help")]
    public void Every_command_has_help(params string[] args)
    {
        var (code, output, _) = Mk(args);
        code.ShouldBe(0);
        output.ShouldContain("Usage:");
    }

    [Fact]
    public void Programs_and_scenarios_list_what_exists()
    {
        Mk("programs").Out.ShouldContain("parallel-sum");
        Mk("scenarios", "demo").Out.ShouldContain("process hello");
        Mk("scenarios", "nope").Code.ShouldBe(ExitCodes.Usage);
    }

    [Fact]
    public void An_unknown_option_is_a_usage_error()
    {
        Mk("run", "--frobnicate").Code.ShouldNotBe(0);
    }
}
