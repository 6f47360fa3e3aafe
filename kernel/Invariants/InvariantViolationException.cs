namespace MicroKernel.Invariants;

/// <summary>
/// Thrown inside the kernel when a check found its state broken: the kernel turns it into a panic (exit 5) whose
/// report names the invariant, the event after which it was found, the tick and the state involved.
/// </summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception for <paramref name="violations"/> (at least one) found at <paramref name="where"/>.</summary>
    /// <param name="violations">Every problem the catalogue found at that point, in catalogue order.</param>
    /// <param name="seq">Sequence number of the last event before the check, or null when nothing recorded events.</param>
    /// <param name="tick">Virtual time of the check.</param>
    /// <param name="where">The check point ("after syscall map of tid 2 (pid 2)", "at a scheduling point", "at the end of the run").</param>
    public InvariantViolationException(IReadOnlyList<InvariantViolation> violations, long? seq, long tick, string where)
        : base(Describe(violations, seq, tick, where))
    {
        Violations = violations;
        Seq = seq;
        Tick = tick;
        Where = where;
    }

    /// <summary>Every problem found at the check point.</summary>
    public IReadOnlyList<InvariantViolation> Violations { get; }

    /// <summary>The name of the first broken invariant.</summary>
    public string Invariant => Violations[0].Invariant;

    /// <summary>Sequence number of the last event before the check (null when no event was recorded).</summary>
    public long? Seq { get; }

    /// <summary>Virtual time of the check.</summary>
    public long Tick { get; }

    /// <summary>The check point, in words.</summary>
    public string Where { get; }

    private static string Describe(IReadOnlyList<InvariantViolation> violations, long? seq, long tick, string where)
    {
        string when = seq is { } s ? $"after event #{s}, tick {tick}" : $"tick {tick}";
        string rest = violations.Count > 1 ? $" (and {violations.Count - 1} more: {string.Join("; ", violations.Skip(1))})" : "";
        return $"invariant {violations[0].Invariant} broken {where} ({when}): {violations[0].Problem}{rest}";
    }
}
