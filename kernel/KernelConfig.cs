using MicroKernel.Memory;
using MicroKernel.Scheduling;

namespace MicroKernel;

/// <summary>Everything that shapes a run besides the programs: with the same config, the same run.</summary>
public sealed record KernelConfig
{
    /// <summary>RAM size in 4 KiB frames.</summary>
    public int Frames { get; init; } = 1024;

    /// <summary>Paging or one of the MPU models.</summary>
    public ProtectionModel Protection { get; init; } = ProtectionModel.Paging;

    /// <summary>MPU regions (8 or 16).</summary>
    public int MpuRegions { get; init; } = 8;

    /// <summary>TLB entries (a power of two).</summary>
    public int TlbSize { get; init; } = 64;

    /// <summary>Scheduling policy.</summary>
    public PolicyKind Policy { get; init; } = PolicyKind.RoundRobin;

    /// <summary>Seed of every random choice.</summary>
    public ulong Seed { get; init; } = 1;

    /// <summary>Ticks a thread may run before round-robin preempts it (random: 1/quantum chance per tick).</summary>
    public int Quantum { get; init; } = 4;

    /// <summary>Instructions an x86 thread runs per scheduling point (deterministic preemption of machine code).</summary>
    public int InstructionsPerTick { get; init; } = 1000;

    /// <summary>User memory accesses per scheduling point (deterministic preemption of compute loops).</summary>
    public int AccessesPerTick { get; init; } = 64;

    /// <summary>The run stops (every process killed) past this virtual time: no test hangs on a livelock.</summary>
    public long MaxTicks { get; init; } = 1_000_000;

    /// <summary>
    /// Host seconds a thread may hold the CPU without reaching a scheduling point before the host watchdog kills its
    /// process (<see cref="Hardware.FaultReason.Runaway"/>); 0 = no watchdog. It only catches C# loops that neither
    /// call the kernel nor touch user memory; firing makes the run depend on host time (docs/architecture.md).
    /// </summary>
    public double WatchdogSeconds { get; init; } = 5;

    /// <summary>
    /// Threads whose image offers a resumable body (x86 programs) run on the host thread that holds the CPU, so a switch
    /// between two of them at an instruction point is a register swap (docs/architecture.md, "Threads without host
    /// threads"); false = every simulated thread on a host thread of its own. Both give the same run, event for event.
    /// </summary>
    public bool InlineThreads { get; init; } = true;

    /// <summary>Most threads one process may have alive.</summary>
    public int MaxThreadsPerProcess { get; init; } = 64;

    /// <summary>Messages a process may have queued for its handlers before senders get QueueFull.</summary>
    public int MessageQueueCapacity { get; init; } = 16;

    /// <summary>The faults the run injects (docs/faults.md); <see cref="Faults.FaultPlan.None"/> injects nothing.</summary>
    public Faults.FaultPlan Faults { get; init; } = MicroKernel.Faults.FaultPlan.None;

    /// <summary>When the kernel runs its invariant catalogue (after every syscall, at every tick, or at the end only).</summary>
    public Invariants.CheckLevel Check { get; init; } = Invariants.CheckLevel.End;

    /// <summary>Largest byte count one write syscall accepts.</summary>
    public int MaxWriteBytes { get; init; } = 64 * 1024;
}
