using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Tests.X86;

/// <summary>The scenario directive that sets how often x86-64 programs reach a scheduling point.</summary>
public sealed class X86ScenarioDirectiveTests
{
    private static Scenario Parse(string text) => ScenarioParser.Parse(text, "t.scn", ["hello"]);

    [Fact]
    public void Instructions_per_tick_sets_the_preemption_interval_of_x86_programs()
    {
        Parse("process a program=hello").Config.InstructionsPerTick.ShouldBe(new KernelConfig().InstructionsPerTick);
        Parse("instructions-per-tick 250\nprocess a program=hello").Config.InstructionsPerTick.ShouldBe(250);
    }

    [Theory]
    [InlineData("instructions-per-tick 0\nprocess a program=hello", "out of range")]
    [InlineData("instructions-per-tick many\nprocess a program=hello", "expected an integer")]
    [InlineData("instructions-per-tick 5\ninstructions-per-tick 6\nprocess a program=hello", "given twice")]
    public void Bad_values_are_refused_naming_the_field(string text, string problem)
    {
        var e = Should.Throw<ScenarioException>(() => Parse(text));
        e.Field.ShouldBe("instructions-per-tick");
        e.Message.ShouldContain(problem);
    }
}
