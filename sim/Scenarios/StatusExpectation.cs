using System.Globalization;
using MicroKernel.Processes;

namespace MicroKernel.Sim.Scenarios;

/// <summary><c>expect process=NAME status=N</c>: the process exited with status N.</summary>
/// <param name="Process">The scenario's process name.</param>
/// <param name="Status">The exit status it must end with (a fault kill is 128 + reason, a kill 137).</param>
public sealed record StatusExpectation(string Process, long Status) : Expectation
{
    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"process={Process} status={Status}");

    /// <inheritdoc />
    public override string? AboutProcess => Process;

    /// <inheritdoc />
    public override ExpectationResult Check(RunResult result, ExpectationChecker run)
    {
        if (Find(result, Process) is not { } p) return new(this, false, "the process never ran");
        return new(this, p.State == ProcessState.Exited && p.ExitStatus == Status, Ending(p));
    }
}
