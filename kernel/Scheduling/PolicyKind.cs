namespace MicroKernel.Scheduling;

/// <summary>The scheduling policies a scenario can choose.</summary>
public enum PolicyKind
{
    /// <summary>FIFO ready queue; a thread is preempted after its quantum of ticks.</summary>
    RoundRobin,
    /// <summary>Highest priority first (RTOS style); round-robin among equals.</summary>
    Priority,
    /// <summary>Seeded random choices, for exploring interleavings.</summary>
    Random,
}
