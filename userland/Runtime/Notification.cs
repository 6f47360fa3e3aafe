using MicroKernel.Ipc.Notify;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// A handle to a kernel notification object, bound to the thread (<see cref="Sys"/>) that uses it. Handles belong
/// to the process: another thread of it uses the same object through <see cref="On"/>. Counting: every notify is
/// consumed by exactly one successful wait, whether the wait came first or not. docs/notifications.md.
/// </summary>
public sealed class Notification
{
    private readonly Sys _sys;

    private Notification(Sys sys, int handle)
    {
        _sys = sys;
        Handle = handle;
    }

    /// <summary>The process-wide handle number.</summary>
    public int Handle { get; }

    /// <summary>Creates an object: public under <paramref name="name"/>, or private to this process when null.</summary>
    public static Notification Create(Sys sys, string? name = null) => new(sys, sys.NotifyCreate(name));

    /// <summary>
    /// Creates a robust lock (<see cref="NotifyFlags.Lock"/>): <see cref="Wait"/> takes it, <see cref="Notify"/>(1) by
    /// the holder gives it back, and a holder that ends while holding it releases it for the next waiter.
    /// </summary>
    public static Notification CreateLock(Sys sys) => new(sys, sys.NotifyCreate(null, NotifyFlags.Lock));

    /// <summary>Opens the public object called <paramref name="name"/> (NoSuchName when nobody created it).</summary>
    public static Notification Open(Sys sys, string name) => new(sys, sys.NotifyCreate(name, NotifyFlags.Open));

    /// <summary>Opens <paramref name="name"/>, retrying every <paramref name="pollTicks"/> ticks until its owner has created it.</summary>
    public static Notification OpenWhenCreated(Sys sys, string name, long pollTicks = 1)
    {
        while (true)
        {
            long r = sys.RawNotifyCreate(name, NotifyFlags.Open);
            if (r >= 0) return new(sys, (int)r);
            if (r != (long)Syscalls.ErrorCode.NoSuchName) throw new SyscallException(Syscalls.SyscallNumber.NotifyCreate, (Syscalls.ErrorCode)r);
            sys.Sleep(pollTicks);
        }
    }

    /// <summary>The same handle used from another thread of this process.</summary>
    public Notification On(Sys sys) => new(sys, Handle);

    /// <summary>Adds <paramref name="count"/> notifies; returns how many waiting threads woke.</summary>
    public long Notify(long count = 1) => _sys.Notify(Handle, count);

    /// <summary>Consumes one notify, waiting up to <paramref name="timeout"/> ticks (-1 = forever, 0 = poll); false on timeout.</summary>
    public bool Wait(long timeout = -1) => _sys.Wait(Handle, timeout);

    /// <summary>
    /// Takes a lock made by <see cref="CreateLock"/>, waiting up to <paramref name="timeout"/> ticks (-1 = forever,
    /// 0 = try): says whether the caller now holds it and whether its previous holder died holding it. Use this, not
    /// <see cref="Wait"/>, on a lock: <see cref="Wait"/> answers only true or false and hides a dead holder.
    /// </summary>
    public LockAcquisition Acquire(long timeout = -1)
    {
        long r = _sys.Syscall(Syscalls.SyscallNumber.Wait, (ulong)Handle, (ulong)timeout);
        if (r is (long)Syscalls.ErrorCode.TimedOut or (long)Syscalls.ErrorCode.WouldBlock) return LockAcquisition.TimedOut;
        if (r < 0) throw new SyscallException(Syscalls.SyscallNumber.Wait, (Syscalls.ErrorCode)r);
        return r == 1 ? LockAcquisition.PreviousHolderDied : LockAcquisition.Acquired;
    }

    /// <summary>Gives back a lock the calling thread holds (<see cref="Acquire"/>); NotPermitted when it does not hold it.</summary>
    public void Release() => _sys.Notify(Handle, 1);

    /// <summary>Closes the handle (destroying the object when this process owns it).</summary>
    public void Close() => _sys.NotifyClose(Handle);

    /// <summary>
    /// Waits until one of <paramref name="objects"/> fires; returns its index (the lowest pending one first), or -1
    /// when <paramref name="timeout"/> ticks passed. Uses the thread of the first object.
    /// </summary>
    public static int WaitAny(long timeout, params ReadOnlySpan<Notification> objects)
    {
        if (objects.Length == 0) throw new ArgumentException("wait on at least one object", nameof(objects));
        Span<int> handles = stackalloc int[objects.Length];
        for (int i = 0; i < objects.Length; i++) handles[i] = objects[i].Handle;
        return objects[0]._sys.WaitAny(handles, timeout);
    }
}
