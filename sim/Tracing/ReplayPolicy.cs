using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// A scheduling policy that makes the recorded run's decisions again: it dispatches the thread the next recorded
/// Switch event names, and preempts exactly where a recorded "preempt" switch happened (same thread, same tick).
/// Replay thus stays on the recorded interleaving even if a real policy's code changes, and it is what lets
/// puppets (which run no user code) follow the recording. Where a recorded decision cannot be taken (the thread
/// is not ready) the replay has diverged: the policy then falls back to plain round-robin so the run still ends.
/// </summary>
internal sealed class ReplayPolicy(IReadOnlyList<TraceEvent> recorded, IReplayCursor cursor, int fallbackQuantum) : ISchedulingPolicy
{
    private readonly List<SimThread> _ready = [];
    private readonly int _firstTid = TraceAnalysis.FirstThread(recorded);
    private Scheduler? _scheduler;
    private bool _started;

    /// <inheritdoc />
    public string Name => "replay";

    /// <inheritdoc />
    public int ReadyCount => _ready.Count;

    /// <summary>The first recorded decision that could not be followed, or null.</summary>
    public string? Problem { get; private set; }

    /// <summary>Connects the policy to the kernel it schedules (for the current thread and virtual time).</summary>
    public void Attach(Kernel kernel) => _scheduler = kernel.Scheduler;

    /// <inheritdoc />
    public void Add(SimThread thread) => _ready.Add(thread);

    /// <inheritdoc />
    public SimThread? TakeNext()
    {
        if (_ready.Count == 0) return null;
        int index = 0;
        if (!cursor.Diverged)
        {
            int want;
            if (!_started) want = _firstTid;
            else if (Next() is { Kind: EventKind.Switch } s) want = (int)s.A0;
            else want = _scheduler?.Current?.Tid ?? 0; // no switch recorded here: the current thread carries on
            index = _ready.FindIndex(t => t.Tid == want);
            if (index < 0)
            {
                Problem ??= $"at event #{cursor.Position} the recording dispatches tid {want}, which is not ready";
                index = 0;
            }
        }
        _started = true;
        SimThread next = _ready[index];
        _ready.RemoveAt(index);
        return next;
    }

    /// <inheritdoc />
    public bool ShouldPreempt(SimThread current, long ticksRun)
    {
        if (cursor.Diverged) return _ready.Count > 0 && ticksRun >= fallbackQuantum;
        return Next() is { Kind: EventKind.Switch, Text: "preempt" } s && s.Tid == current.Tid && s.Tick == _scheduler?.Now;
    }

    private KernelEvent? Next() => cursor.Position < recorded.Count ? recorded[(int)cursor.Position].Event : null;
}
