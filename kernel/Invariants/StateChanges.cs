namespace MicroKernel.Invariants;

/// <summary>
/// The parts of the state changed since the last invariant check: one flag write per change, cheap when no check
/// reads it. One object per machine, shared by the kernel and the hardware models (frames, page tables, TLB).
/// </summary>
public sealed class StateChanges
{
    /// <summary>What changed since the last check (everything, at boot).</summary>
    public CheckedState Pending { get; private set; } = CheckedState.All;

    /// <summary>Marks <paramref name="parts"/> as changed.</summary>
    public void Mark(CheckedState parts) => Pending |= parts;

    /// <summary>Returns what changed and forgets it (a check point re-checked those parts).</summary>
    internal CheckedState Take()
    {
        CheckedState changed = Pending;
        Pending = CheckedState.None;
        return changed;
    }
}
