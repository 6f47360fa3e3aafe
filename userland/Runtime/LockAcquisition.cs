namespace MicroKernel.Userland.Runtime;

/// <summary>How <see cref="Notification.Acquire"/> ended: the caller may hold the lock, and may have to repair what it guards.</summary>
public enum LockAcquisition
{
    /// <summary>The timeout passed (or, with timeout 0, the lock was taken): the caller does not hold it.</summary>
    TimedOut,

    /// <summary>The caller holds the lock; the previous holder gave it back.</summary>
    Acquired,

    /// <summary>
    /// The caller holds the lock, but the previous holder ended while holding it (exit, kill, fault): the state the
    /// lock guards may be half-updated and must be checked or repaired (pthread's EOWNERDEAD; wait returned 1).
    /// </summary>
    PreviousHolderDied,
}
