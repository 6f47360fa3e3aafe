using MicroKernel.Processes;

namespace MicroKernel.Ipc.Notify;

/// <summary>
/// A thread's wait record, for its blocked wait or wait_any: the thread parks in its own <see cref="Queue"/> and is
/// listed in the waiter FIFO of every object it waits on. A notify wakes it through the scheduler with the index of
/// the object that fired. A thread waits in one place at a time, so one record per thread is reused.
/// </summary>
internal sealed class NotifyWait
{
    public NotifyWait(SimThread thread)
    {
        Thread = thread;
        Queue = new WaitQueue("");
    }

    /// <summary>Index of the object whose unit a notify handed this wait (-1 = none yet).</summary>
    public int Fired { get; set; } = -1;

    /// <summary>The waiting thread.</summary>
    public SimThread Thread { get; }

    /// <summary>The objects waited on, in the caller's order (the record is reused by the thread's next wait).</summary>
    public NotifyObject[] Objects { get; set; } = [];

    /// <summary>A one-element array for plain waits, reused so a wait does not allocate.</summary>
    public NotifyObject[] Single { get; } = new NotifyObject[1];

    /// <summary>The thread's private queue: the scheduler's blocking mechanism (timeouts, kills, deadlock reports).</summary>
    public WaitQueue Queue { get; }

    /// <summary>
    /// True while the thread still waits here. A wait that timed out or was killed stays listed until its thread
    /// runs again; such a stale entry must not consume a notify.
    /// </summary>
    public bool Live => ReferenceEquals(Thread.BlockedIn, Queue);

    /// <summary>Names the objects for deadlock reports; recomputed only when they differ from the last wait's.</summary>
    public void Describe(NotifyObject[] objects)
    {
        Objects = objects;
        bool same = _described.Length == objects.Length;
        for (int i = 0; same && i < objects.Length; i++) same = ReferenceEquals(_described[i], objects[i]);
        if (same && !_hasLock) return;
        _described = [.. objects]; // a copy: Single is reused in place
        _hasLock = Array.Exists(objects, o => o.IsLock);
        Refresh();
    }

    private bool _hasLock;

    /// <summary>
    /// Re-reads the description: a lock names its holder, which makes the deadlock report a wait-for graph
    /// ("notification #2 held by tid 4 (...)"). Called when a lock this wait is listed on changes hands.
    /// </summary>
    public void Refresh()
    {
        static string Of(NotifyObject o) => o.IsLock && o.Holder is { } h ? $"{o.Description} held by {h}" : o.Description;
        Queue.Description = Objects.Length == 1 ? Of(Objects[0]) : "any of " + string.Join(", ", Objects.Select(Of));
        if (Live) Thread.WaitingFor = Queue.Description;
    }

    private NotifyObject[] _described = [];

    /// <summary>Takes this wait off every object's list (no allocation: this runs on every wake).</summary>
    public void Unlist()
    {
        foreach (NotifyObject n in Objects)
            for (int i = n.Waiters.Count - 1; i >= 0; i--)
                if (ReferenceEquals(n.Waiters[i].Wait, this)) n.Waiters.RemoveAt(i);
    }
}
