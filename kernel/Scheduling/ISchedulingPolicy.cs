using MicroKernel.Processes;

namespace MicroKernel.Scheduling;

/// <summary>
/// Decides which ready thread runs next and when the running one is preempted. The scheduler owns the
/// mechanism (handoff, sleeping, idle, deadlock); a policy only orders the ready threads.
/// </summary>
public interface ISchedulingPolicy
{
    /// <summary>The policy's name for traces.</summary>
    string Name { get; }

    /// <summary>Ready threads waiting for the CPU.</summary>
    int ReadyCount { get; }

    /// <summary>A thread became ready.</summary>
    void Add(SimThread thread);

    /// <summary>Takes the thread to run next, or null when none is ready.</summary>
    SimThread? TakeNext();

    /// <summary>At a scheduling point: should <paramref name="current"/> give up the CPU after running <paramref name="ticksRun"/> ticks?</summary>
    bool ShouldPreempt(SimThread current, long ticksRun);
}
