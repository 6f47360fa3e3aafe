namespace MicroKernel.Ipc.Notify;

/// <summary>Flags of notify_create. Every other bit is reserved (InvalidArgument).</summary>
[Flags]
public enum NotifyFlags : ulong
{
    /// <summary>Create a new object (named = public, else private to the process).</summary>
    None = 0,
    /// <summary>Bit 0: open the existing public object with the given name instead of creating one.</summary>
    Open = 1 << 0,
    /// <summary>
    /// Bit 1: create a robust lock: one unit (unlocked); a wait takes it and makes the caller its holder; only the
    /// holder's notify (count 1) gives it back; a holder that ends while holding it releases it, and the next
    /// holder's wait returns 1 instead of 0 (the state it guards may be half-updated).
    /// </summary>
    Lock = 1 << 1,
}

/// <summary>Limits and special values of the notification syscalls (docs/notifications.md).</summary>
public static class NotifyLimits
{
    /// <summary>Timeout that waits forever (-1 as a signed argument).</summary>
    public const ulong Forever = ulong.MaxValue;

    /// <summary>Longest name, in bytes (printable ASCII, no spaces).</summary>
    public const int MaxNameLength = 48;

    /// <summary>Most objects one wait_any may wait on.</summary>
    public const int MaxWaitAny = 16;

    /// <summary>Largest count one notify may add.</summary>
    public const ulong MaxNotifyCount = 1UL << 32;

    /// <summary>Largest pending count an object may hold.</summary>
    public const long MaxPending = 1L << 40;

    /// <summary>Open objects in the whole kernel.</summary>
    public const int MaxObjects = 4096;
}
