using MicroKernel.Processes;

namespace MicroKernel.Ipc.Notify;

/// <summary>
/// One blocked wait or wait_any: the thread parks in its own <see cref="Queue"/> and is listed in the waiter FIFO of
/// every object it waits on. A notify wakes it through the scheduler with the index of the object that fired.
/// </summary>
internal sealed class NotifyWait
{
    public NotifyWait(SimThread thread, NotifyObject[] objects, string description)
    {
        Thread = thread;
        Objects = objects;
        Queue = new WaitQueue(description);
    }

    /// <summary>The waiting thread.</summary>
    public SimThread Thread { get; }

    /// <summary>The objects waited on, in the caller's order.</summary>
    public NotifyObject[] Objects { get; }

    /// <summary>The thread's private queue: the scheduler's blocking mechanism (timeouts, kills, deadlock reports).</summary>
    public WaitQueue Queue { get; }

    /// <summary>
    /// True while the thread still waits here. A wait that timed out or was killed stays listed until its thread
    /// runs again; such a stale entry must not consume a notify.
    /// </summary>
    public bool Live => ReferenceEquals(Thread.BlockedIn, Queue);

    /// <summary>Takes this wait off every object's list.</summary>
    public void Unlist()
    {
        foreach (NotifyObject n in Objects) n.Waiters.RemoveAll(w => ReferenceEquals(w.Wait, this));
    }
}
