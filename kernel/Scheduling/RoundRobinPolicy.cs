using MicroKernel.Processes;

namespace MicroKernel.Scheduling;

/// <summary>Round-robin: a FIFO ready queue and a fixed quantum of ticks.</summary>
public sealed class RoundRobinPolicy(int quantum) : ISchedulingPolicy
{
    private readonly Queue<SimThread> _ready = new();

    /// <inheritdoc />
    public string Name => "round-robin";

    /// <inheritdoc />
    public int ReadyCount => _ready.Count;

    /// <inheritdoc />
    public void Add(SimThread thread) => _ready.Enqueue(thread);

    /// <inheritdoc />
    public SimThread? TakeNext() => _ready.TryDequeue(out SimThread? t) ? t : null;

    /// <inheritdoc />
    public bool ShouldPreempt(SimThread current, long ticksRun) => _ready.Count > 0 && ticksRun >= quantum;
}
