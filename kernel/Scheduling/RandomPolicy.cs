using MicroKernel.Processes;

namespace MicroKernel.Scheduling;

/// <summary>
/// Seeded random scheduling: at each scheduling point the running thread is preempted with probability
/// 1/<c>quantum</c>, and the next thread is drawn uniformly from the ready ones. Different seeds explore different
/// interleavings; the same seed repeats one exactly.
/// </summary>
public sealed class RandomPolicy(ulong seed, int quantum) : ISchedulingPolicy
{
    private readonly List<SimThread> _ready = [];
    private readonly SplitMix64 _random = new(seed);

    /// <inheritdoc />
    public string Name => "random";

    /// <inheritdoc />
    public int ReadyCount => _ready.Count;

    /// <inheritdoc />
    public void Add(SimThread thread) => _ready.Add(thread);

    /// <inheritdoc />
    public SimThread? TakeNext()
    {
        if (_ready.Count == 0) return null;
        int i = _random.NextInt(_ready.Count);
        SimThread t = _ready[i];
        _ready.RemoveAt(i);
        return t;
    }

    /// <inheritdoc />
    public bool ShouldPreempt(SimThread current, long ticksRun) => _ready.Count > 0 && _random.NextInt(Math.Max(1, quantum)) == 0;
}
