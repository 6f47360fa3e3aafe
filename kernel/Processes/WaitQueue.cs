namespace MicroKernel.Processes;

/// <summary>
/// A FIFO of blocked threads waiting for one event (a join, a message, a notification). Waking order is the
/// order of arrival, so runs are deterministic.
/// </summary>
public sealed class WaitQueue
{
    private readonly List<SimThread> _waiters = [];

    /// <summary>Describes what waiting here means, for deadlock reports ("join tid 4").</summary>
    public WaitQueue(string description) => Description = description;

    /// <summary>What the waiters wait for.</summary>
    public string Description
    {
        get;
        internal set
        {
            field = value;
            _switchReason = null;
        }
    }

    // "block: " + Description, made once: a block is a hot path and must not allocate.
    private string? _switchReason;

    internal string SwitchReason => _switchReason ??= "block: " + Description;

    /// <summary>How many threads wait.</summary>
    public int Count => _waiters.Count;

    /// <summary>The waiting threads, first arrival first.</summary>
    public IReadOnlyList<SimThread> Waiters => _waiters;

    internal void Add(SimThread t) => _waiters.Add(t);

    internal bool Remove(SimThread t) => _waiters.Remove(t);
}
