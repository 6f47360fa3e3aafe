namespace MicroKernel.Invariants;

/// <summary>
/// When the kernel runs its invariant catalogue (<see cref="KernelConfig.Check"/>, <c>--check</c>). Each level also
/// checks at the points of the levels before it; the first violation stops the run as a kernel panic.
/// </summary>
public enum CheckLevel
{
    /// <summary>Once, when the run ends (the default: costs nothing while the run goes).</summary>
    End,

    /// <summary>After every syscall, and at the end: a violation is caught at the syscall that caused it.</summary>
    Syscall,

    /// <summary>At every scheduling point (each tick, inside compute loops too), after every syscall, and at the end.</summary>
    Tick,
}
