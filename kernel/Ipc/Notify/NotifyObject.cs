using MicroKernel.Processes;

namespace MicroKernel.Ipc.Notify;

/// <summary>
/// A notification object: a counter of notifies nobody has consumed yet and a FIFO of waits blocked on it.
/// Its creator owns it; closing it (or the owner's exit) wakes every waiter with ObjectClosed.
/// </summary>
internal sealed class NotifyObject
{
    public NotifyObject(int id, string? name, Process owner)
    {
        Id = id;
        Name = name;
        Owner = owner;
    }

    /// <summary>Kernel-wide id, from 1, never reused (traces name objects by it).</summary>
    public int Id { get; }

    /// <summary>The public name other processes open it by, or null for a private object.</summary>
    public string? Name { get; }

    /// <summary>The creating process: only its close (or exit) destroys the object.</summary>
    public Process Owner { get; }

    /// <summary>Notifies not yet consumed by a wait: counted, so none is lost.</summary>
    public long Pending { get; set; }

    /// <summary>Units ever added (notifies, a lock's first unit, units given back): with <see cref="Taken"/>, the books <see cref="Pending"/> must balance.</summary>
    public long Notified { get; set; }

    /// <summary>Units ever taken by waits.</summary>
    public long Taken { get; set; }

    /// <summary>True once the owner closed it or exited; every later use is ObjectClosed.</summary>
    public bool Closed { get; set; }

    /// <summary>True for a lock (<see cref="NotifyFlags.Lock"/>).</summary>
    public bool IsLock { get; init; }

    /// <summary>A lock's holder, or null when it is free.</summary>
    public SimThread? Holder { get; set; }

    /// <summary>Set when a holder ended while holding the lock: its next holder learns it (wait returns 1).</summary>
    public bool HolderDied { get; set; }

    /// <summary>Blocked waits in arrival order, each with the index this object has in its wait set.</summary>
    public List<(NotifyWait Wait, int Index)> Waiters { get; } = [];

    /// <summary>"notification #3 'queue/req'" for deadlock reports (made once: every blocking wait names it).</summary>
    public string Description => _description ??= Name is null ? $"notification #{Id}" : $"notification #{Id} '{Name}'";

    private string? _description;
}
