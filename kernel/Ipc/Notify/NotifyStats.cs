namespace MicroKernel.Ipc.Notify;

/// <summary>Counters of the notification family, for tests and the run report.</summary>
public sealed class NotifyStats
{
    /// <summary>Objects created (opens of existing ones not counted).</summary>
    public long Created { get; internal set; }

    /// <summary>Successful notify calls.</summary>
    public long Notifies { get; internal set; }

    /// <summary>Waits (wait and wait_any) that consumed a unit, at once or after blocking.</summary>
    public long Waits { get; internal set; }

    /// <summary>Waits that had to block.</summary>
    public long Blocked { get; internal set; }

    /// <summary>Blocked waits that ran out of time.</summary>
    public long TimedOut { get; internal set; }

    /// <summary>Waiters woken with ObjectClosed (the object was closed or its owner exited).</summary>
    public long ClosedWakes { get; internal set; }

    /// <summary>Locks released by the kernel for a holder that ended while holding them.</summary>
    public long LockRecoveries { get; internal set; }

    /// <summary>The largest count an object held.</summary>
    public long MaxPending { get; internal set; }
}
