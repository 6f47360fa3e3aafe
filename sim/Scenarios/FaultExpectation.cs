using MicroKernel.Hardware;
using MicroKernel.Processes;

namespace MicroKernel.Sim.Scenarios;

/// <summary>
/// <c>expect process=NAME fault=REASON</c>: the process was killed by a fault of that reason (its exit status is
/// 128 + the reason). Several reasons separated by <c>|</c> accept any of them, for a scenario meant to run under
/// every protection model: the same use after free is NotPresent under paging and Supervisor or NoRegion under an
/// MPU. <c>fault=any</c> accepts every reason.
/// </summary>
/// <param name="Process">The scenario's process name.</param>
/// <param name="Reasons">The reasons accepted, in the order written; empty means any.</param>
public sealed record FaultExpectation(string Process, IReadOnlyList<FaultReason> Reasons) : Expectation
{
    /// <summary>The exit status of a process killed by a fault: 128 + the reason (docs/x86.md, docs/faults.md).</summary>
    public const long FaultStatusBase = 128;

    /// <inheritdoc />
    public override string Text => $"process={Process} fault={(Reasons.Count == 0 ? "any" : string.Join('|', Reasons))}";

    /// <inheritdoc />
    public override string? AboutProcess => Process;

    /// <inheritdoc />
    public override ExpectationResult Check(RunResult result, ExpectationChecker run)
    {
        if (Find(result, Process) is not { } p) return new(this, false, "the process never ran");
        // Killed by its own fault: it exited with 128 + the reason of a fault it recorded.
        bool met = p.State == ProcessState.Exited
            && p.Faults.Any(f => p.ExitStatus == FaultStatusBase + (long)f.Reason && (Reasons.Count == 0 || Reasons.Contains(f.Reason)));
        return new(this, met, Ending(p));
    }

    /// <inheritdoc />
    public bool Equals(FaultExpectation? other) =>
        other is not null && Line == other.Line && Process == other.Process && Reasons.SequenceEqual(other.Reasons);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Line, Process, Reasons.Count);
}
