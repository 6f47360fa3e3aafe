using MicroKernel.Processes;

namespace MicroKernel;

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>Every thread ended.</summary>
    Completed,
    /// <summary>Every live thread blocked; the kernel reported the wait-for list and killed them.</summary>
    Deadlock,
    /// <summary>Virtual time passed <see cref="KernelConfig.MaxTicks"/>.</summary>
    TickLimit,
    /// <summary>The kernel hit a bug of its own (an exception in kernel code, or an internal error of a CPU interpreter).</summary>
    Panic,
}

/// <summary>What a run did: its outcome, virtual time, and each process's end.</summary>
/// <param name="Outcome">How it ended.</param>
/// <param name="Ticks">Virtual time at the end.</param>
/// <param name="Switches">Context switches.</param>
/// <param name="Processes">Every process, by pid.</param>
/// <param name="DeadlockReport">The wait-for list when <see cref="RunOutcome.Deadlock"/>.</param>
/// <param name="Panic">The report of the kernel's bug when <see cref="RunOutcome.Panic"/>.</param>
public sealed record RunResult(RunOutcome Outcome, long Ticks, long Switches, IReadOnlyList<Process> Processes, string? DeadlockReport, PanicReport? Panic)
{
    /// <summary>
    /// The kernel's reports about host threads, in the order they happened: a host thread refused for using a port
    /// without holding the CPU, a killed thread that swallowed its termination, a runaway the watchdog stopped.
    /// </summary>
    public IReadOnlyList<string> HostReports { get; init; } = [];

    /// <summary>False when the run depended on host time (the watchdog fired): the same scenario may run differently.</summary>
    public bool Deterministic { get; init; } = true;
}
