using System.Globalization;
using MicroKernel.Processes;

namespace MicroKernel.Sim.Scenarios;

/// <summary><c>expect no-faults</c>: no process recorded a fault during the run.</summary>
public sealed record NoFaultsExpectation : Expectation
{
    /// <inheritdoc />
    public override string Text => "no-faults";

    /// <inheritdoc />
    public override bool AboutEveryProcess => true;

    /// <inheritdoc />
    public override ExpectationResult Check(RunResult result, ExpectationChecker run)
    {
        List<Process> faulted = result.Processes.Where(p => p.Faults.Count > 0).ToList();
        return faulted.Count == 0 ? new(this, true, "no process faulted")
            : new(this, false, string.Join("; ", faulted.Select(p => $"pid {p.Pid.ToString(CultureInfo.InvariantCulture)} ({p.Name}) {Faults(p)}")));
    }
}
