using System.Globalization;
using MicroKernel.Processes;

namespace MicroKernel.Sim.Scenarios;

/// <summary>
/// One <c>expect</c> directive of a scenario (docs/scenario-format.md, docs/faults.md): a statement about how the run
/// ends, checked after it, so that a scenario is its own test. <c>mk run</c> exits 7 when one is not met.
/// </summary>
public abstract record Expectation
{
    /// <summary>The line it was written on (for the report and for messages).</summary>
    public required int Line { get; init; }

    /// <summary>The directive's canonical text after <c>expect</c>, e.g. <c>process=hello status=0</c>.</summary>
    public abstract string Text { get; }

    /// <summary>The scenario process it is about, or null when it is about the whole run.</summary>
    public virtual string? AboutProcess => null;

    /// <summary>True when it is about every process of the run (a failure then concerns all their faults).</summary>
    public virtual bool AboutEveryProcess => false;

    /// <summary>Checks the expectation against the ended run; <paramref name="run"/> holds what the run printed.</summary>
    public abstract ExpectationResult Check(RunResult result, ExpectationChecker run);

    /// <inheritdoc />
    public sealed override string ToString() => "expect " + Text;

    // The scenario's processes are spawned first, in file order, and their names are unique there.
    private protected static Process? Find(RunResult result, string name) => result.Processes.FirstOrDefault(p => p.Name == name);

    /// <summary>How a process ended, in a few words: its exit status (or state) and its faults.</summary>
    private protected static string Ending(Process p)
    {
        string seen = p.State == ProcessState.Exited
            ? string.Create(CultureInfo.InvariantCulture, $"exited with status {p.ExitStatus}")
            : string.Create(CultureInfo.InvariantCulture, $"had not exited ({p.State}, status {p.ExitStatus})");
        return p.Faults.Count > 0 ? $"{seen} after {Faults(p)}" : seen;
    }

    /// <summary>A process's faults, in a few words.</summary>
    private protected static string Faults(Process p) => (p.Faults.Count == 1 ? "a fault: " : $"{p.Faults.Count.ToString(CultureInfo.InvariantCulture)} faults: ")
        + string.Join(", ", p.Faults.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Reason} at 0x{f.Address:x} (tick {f.Tick})")));
}
