namespace MicroKernel.Invariants;

/// <summary>One problem an invariant found: which invariant, and what is wrong where.</summary>
/// <param name="Invariant">The invariant's <see cref="Invariants.Invariant.Name"/>.</param>
/// <param name="Problem">What is wrong, naming the process, address, frame or object involved.</param>
public sealed record InvariantViolation(string Invariant, string Problem)
{
    /// <summary>"name: problem".</summary>
    public override string ToString() => $"{Invariant}: {Problem}";
}
