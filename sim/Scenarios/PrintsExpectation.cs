using System.Globalization;

namespace MicroKernel.Sim.Scenarios;

/// <summary><c>expect process=NAME prints="TEXT"</c>: the process's console output contains TEXT.</summary>
/// <param name="Process">The scenario's process name.</param>
/// <param name="Needle">The text its console writes must contain (compared ordinally, across write boundaries).</param>
public sealed record PrintsExpectation(string Process, string Needle) : Expectation
{
    /// <inheritdoc />
    public override string Text => $"process={Process} prints=\"{Needle}\"";

    /// <inheritdoc />
    public override string? AboutProcess => Process;

    /// <inheritdoc />
    public override ExpectationResult Check(RunResult result, ExpectationChecker run)
    {
        if (Find(result, Process) is not { } p) return new(this, false, "the process never ran");
        string console = run.ConsoleOf(p.Pid);
        string[] lines = console.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (console.Contains(Needle, StringComparison.Ordinal))
        {
            string line = lines.FirstOrDefault(l => l.Contains(Needle, StringComparison.Ordinal)) ?? Needle;
            return new(this, true, $"printed \"{line}\"");
        }
        return new(this, false, lines.Length == 0 ? "it printed nothing"
            : string.Create(CultureInfo.InvariantCulture, $"not in its {lines.Length} console lines; the last was \"{lines[^1]}\""));
    }
}
