namespace MicroKernel.Invariants;

/// <summary>
/// One named kernel invariant: a property of the kernel's state that must hold at every point the kernel is between
/// two actions (after a syscall, at a scheduling point, at the end of the run). Its check lists what is wrong and
/// where, one problem a line; an empty list means the invariant holds. docs/faults.md lists the catalogue.
/// </summary>
public sealed class Invariant
{
    private readonly Func<IEnumerable<string>> _check;

    /// <summary>
    /// Creates an invariant; <paramref name="check"/> reads the kernel's state and never changes it, and only the parts
    /// in <paramref name="reads"/> (all of them unless it says less).
    /// </summary>
    internal Invariant(string name, string summary, Func<IEnumerable<string>> check, CheckedState reads = CheckedState.All)
    {
        Name = name;
        Summary = summary;
        _check = check;
        Reads = reads;
    }

    /// <summary>The parts of the state the check reads: a check point skips it when none of them changed.</summary>
    public CheckedState Reads { get; }

    /// <summary>The short name reports and panics use ("frame-accounting", "tlb-coherence").</summary>
    public string Name { get; }

    /// <summary>One line saying what the invariant guards.</summary>
    public string Summary { get; }

    /// <summary>Runs the check: the problems found, each naming the state involved (empty = holds).</summary>
    public IReadOnlyList<InvariantViolation> Check()
    {
        IEnumerable<string> problems = _check();
        // A sound state makes nothing more than its check's own empty answer (checks run after every syscall under --check).
        if (problems is IReadOnlyCollection<string> { Count: 0 }) return [];
        return [.. problems.Select(p => new InvariantViolation(Name, p))];
    }

    /// <inheritdoc />
    public override string ToString() => $"{Name}: {Summary}";
}
