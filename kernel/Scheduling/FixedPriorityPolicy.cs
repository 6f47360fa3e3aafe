using MicroKernel.Processes;

namespace MicroKernel.Scheduling;

/// <summary>
/// Fixed priority, as RTOS kernels schedule: the highest-priority ready thread always runs; a more urgent thread
/// that becomes ready preempts at the next scheduling point; equals share the CPU round-robin by quantum.
/// </summary>
public sealed class FixedPriorityPolicy(int quantum) : ISchedulingPolicy
{
    // Priority -> FIFO of ready threads, highest priority first.
    private readonly SortedDictionary<int, Queue<SimThread>> _levels = new(Comparer<int>.Create((a, b) => b.CompareTo(a)));

    /// <inheritdoc />
    public string Name => "priority";

    /// <inheritdoc />
    public int ReadyCount { get; private set; }

    /// <inheritdoc />
    public void Add(SimThread thread)
    {
        if (!_levels.TryGetValue(thread.Priority, out Queue<SimThread>? q)) _levels[thread.Priority] = q = new Queue<SimThread>();
        q.Enqueue(thread);
        ReadyCount++;
    }

    /// <inheritdoc />
    public SimThread? TakeNext()
    {
        foreach ((int level, Queue<SimThread> q) in _levels)
        {
            if (q.Count == 0) continue;
            ReadyCount--;
            SimThread t = q.Dequeue();
            if (q.Count == 0) _levels.Remove(level);
            return t;
        }
        return null;
    }

    /// <inheritdoc />
    public bool ShouldPreempt(SimThread current, long ticksRun)
    {
        int best = HighestReady();
        return best > current.Priority || (best == current.Priority && ticksRun >= quantum);
    }

    private int HighestReady()
    {
        foreach ((int level, Queue<SimThread> q) in _levels)
            if (q.Count > 0) return level;
        return int.MinValue;
    }
}
