using MicroKernel.Invariants;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Ipc.Notify;

/// <summary>
/// Notifications (docs/notifications.md): counting notify/wait on kernel objects, with timeouts in virtual ticks and waits on
/// several objects at once. A notify nobody waits for is kept in the object's count; waiters wake in arrival order.
/// User services (the queue server) are built on these in userland. docs/notifications.md explains it with diagrams.
/// </summary>
internal sealed class NotificationIpc : IIpcFamily
{
    private const ArgFormat I = ArgFormat.Int, H = ArgFormat.Hex;
    private readonly Kernel _kernel;
    private readonly List<NotifyObject> _live = [];                                    // open objects, by id
    private readonly Dictionary<string, NotifyObject> _names = new(StringComparer.Ordinal); // lookup only, never enumerated
    private readonly Dictionary<SimThread, NotifyWait> _records = [];                     // lookup only, never enumerated
    private readonly Dictionary<int, HandleTable> _handles = [];                          // by pid; lookup only, never enumerated
    private int _nextId = 1;

    public NotificationIpc(Kernel kernel)
    {
        _kernel = kernel;
        SyscallTable t = kernel.Syscalls;
        t.Register(new((long)SyscallNumber.NotifyCreate, "notify_create", [("name", H), ("name_len", I), ("flags", I)],
            (SimThread c, in SyscallArgs a) => Create(c, a.A0, a.A1, a.A2))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadAddress, ErrorCode.LimitReached, ErrorCode.NoSuchName, ErrorCode.NameTaken] });
        t.Register(new((long)SyscallNumber.Notify, "notify", [("handle", I), ("count", I)], (SimThread c, in SyscallArgs a) => Notify(c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadHandle, ErrorCode.ObjectClosed, ErrorCode.NotPermitted, ErrorCode.LimitReached] });
        t.Register(new((long)SyscallNumber.Wait, "wait", [("handle", I), ("timeout", I)], (SimThread c, in SyscallArgs a) => Wait(c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadHandle, ErrorCode.ObjectClosed, ErrorCode.WouldBlock, ErrorCode.TimedOut, ErrorCode.NotPermitted] });
        t.Register(new((long)SyscallNumber.WaitAny, "wait_any", [("handles", H), ("count", I), ("timeout", I)],
            (SimThread c, in SyscallArgs a) => WaitAny(c, a.A0, a.A1, a.A2))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadAddress, ErrorCode.BadHandle, ErrorCode.ObjectClosed, ErrorCode.WouldBlock, ErrorCode.TimedOut, ErrorCode.NotPermitted] });
        t.Register(new((long)SyscallNumber.NotifyClose, "notify_close", [("handle", I)], (SimThread c, in SyscallArgs a) => Close(c, a.A0))
        { Errors = [ErrorCode.BadHandle] });
    }

    // A process's handle table, made at its first notification syscall and dropped when it exits (or restarts).
    private HandleTable Handles(Process p)
    {
        if (!_handles.TryGetValue(p.Pid, out HandleTable? table)) _handles[p.Pid] = table = new HandleTable();
        return table;
    }

    private long Create(SimThread caller, ulong nameAddress, ulong nameLength, ulong flags)
    {
        if ((flags & ~(ulong)(NotifyFlags.Open | NotifyFlags.Lock)) != 0 || nameLength > NotifyLimits.MaxNameLength) return (long)ErrorCode.InvalidArgument;
        bool open = (flags & (ulong)NotifyFlags.Open) != 0, isLock = (flags & (ulong)NotifyFlags.Lock) != 0;
        if (open && (nameLength == 0 || isLock)) return (long)ErrorCode.InvalidArgument;
        string? name = null;
        if (nameLength > 0)
        {
            ErrorCode e = _kernel.CopyNameFromUser(caller, nameAddress, nameLength, out string read);
            if (e != ErrorCode.Ok) return (long)e;
            name = read;
        }
        HandleTable handles = Handles(caller.Process);
        if (handles.Count >= HandleTable.Capacity) return (long)ErrorCode.LimitReached;
        NotifyObject? n;
        if (open)
        {
            if (!_names.TryGetValue(name!, out n)) return (long)ErrorCode.NoSuchName;
        }
        else
        {
            if (name is not null && _names.ContainsKey(name)) return (long)ErrorCode.NameTaken;
            if (_live.Count >= NotifyLimits.MaxObjects) return (long)ErrorCode.LimitReached;
            n = new NotifyObject(_nextId++, name, caller.Process) { IsLock = isLock, Pending = isLock ? 1 : 0, Notified = isLock ? 1 : 0 };
            _live.Add(n);
            if (name is not null) _names[name] = n;
            Stats.Created++;
        }
        return handles.Add(n);
    }

    private long Notify(SimThread caller, ulong handle, ulong count)
    {
        if (count == 0 || count > NotifyLimits.MaxNotifyCount) return (long)ErrorCode.InvalidArgument;
        long found = Lookup(caller, handle, out NotifyObject? n);
        if (found < 0) return found;
        if (n!.IsLock)
        {
            // Only the holder gives a lock back, one unit.
            if (count != 1) return (long)ErrorCode.InvalidArgument;
            if (n.Holder != caller) return (long)ErrorCode.NotPermitted;
        }
        if (n.Pending + (long)count > NotifyLimits.MaxPending) return (long)ErrorCode.LimitReached;
        if (n.IsLock) n.Holder = null;
        Stats.Notifies++;
        Stats.MaxPending = Math.Max(Stats.MaxPending, n.Pending + (long)count);
        long woken = Release(n, (long)count, caller);
        if (_kernel.Tracing)
            _kernel.Emit(new KernelEvent
            {
                Pid = caller.Process.Pid, Tid = caller.Tid, Kind = EventKind.Notify,
                A0 = (ulong)n.Id, A1 = count, A2 = (ulong)n.Pending, Result = woken,
            });
        return woken;
    }

    // Adds count units and hands them to the oldest live waits, FIFO; what is left stays counted.
    private long Release(NotifyObject n, long count, SimThread by)
    {
        n.Pending += count;
        n.Notified += count;
        long woken = 0;
        while (n.Pending > 0 && n.Waiters.Count > 0)
        {
            (NotifyWait w, int index) = n.Waiters[0];
            w.Unlist();
            if (!w.Live) continue; // timed out or killed, not yet run: it must not eat a notify
            Take(n, w.Thread);
            w.Fired = index;
            woken++;
            EmitWake(w.Thread, n, index, index, by);
            _kernel.Scheduler.Wake(w.Thread, index);
        }
        return woken;
    }

    // One unit goes to `thread`; a lock records its new holder.
    private void Take(NotifyObject n, SimThread thread)
    {
        n.Pending--;
        n.Taken++;
        Stats.Waits++;
        if (!n.IsLock) return;
        n.Holder = thread;
        if (n.HolderDied) thread.LockOwnerDied = true;
        n.HolderDied = false;
        foreach ((NotifyWait w, _) in n.Waiters) w.Refresh(); // the lock changed hands: waiters' reports name the new holder
    }

    /// <summary>A thread ended: locks it still holds are released for it (robust locks); their next holder is told.</summary>
    public void OnThreadExit(SimThread thread)
    {
        _records.Remove(thread);
        foreach (NotifyObject n in _live.Where(n => n.IsLock && n.Holder == thread).ToList())
        {
            n.Holder = null;
            n.HolderDied = true;
            Stats.LockRecoveries++;
            Release(n, 1, thread);
        }
    }

    private long Wait(SimThread caller, ulong handle, ulong timeout)
    {
        if (!ValidTimeout(timeout)) return (long)ErrorCode.InvalidArgument;
        long found = Lookup(caller, handle, out NotifyObject? n);
        if (found < 0) return found;
        NotifyWait w = Record(caller);
        // The record may belong to a wait this call interrupts (a handler): then leave it alone.
        NotifyObject[] objects = caller.BlockedIn is null ? w.Single : [n!];
        objects[0] = n!;
        long r = WaitOn(w, objects, timeout);
        if (r < 0) return r;
        // A lock whose previous holder ended while holding it: 1 says "yours, but check what it guards".
        bool died = caller.LockOwnerDied;
        caller.LockOwnerDied = false;
        return died ? 1 : 0;
    }

    private long WaitAny(SimThread caller, ulong address, ulong count, ulong timeout)
    {
        if (count == 0 || count > NotifyLimits.MaxWaitAny || !ValidTimeout(timeout)) return (long)ErrorCode.InvalidArgument;
        Span<byte> raw = stackalloc byte[(int)count * 8]; // count <= MaxWaitAny: a small array of handles
        if (!_kernel.CopyFromUser(caller, address, raw)) return (long)ErrorCode.BadAddress;
        var objects = new NotifyObject[count];
        for (int i = 0; i < (int)count; i++)
        {
            long found = Lookup(caller, BitConverter.ToUInt64(raw[(i * 8)..]), out NotifyObject? n);
            if (found < 0) return found;
            objects[i] = n!;
        }
        return WaitOn(Record(caller), objects, timeout);
    }

    // The thread's reusable wait record.
    private NotifyWait Record(SimThread thread)
    {
        if (!_records.TryGetValue(thread, out NotifyWait? w)) _records[thread] = w = new NotifyWait(thread);
        return w;
    }

    // The lowest index whose object has a count consumes one; else the caller blocks in every object's FIFO.
    private long WaitOn(NotifyWait w, NotifyObject[] objects, ulong timeout)
    {
        SimThread caller = w.Thread;
        caller.LockOwnerDied = false;
        // A lock is not recursive: waiting for one's own lock could never end.
        foreach (NotifyObject o in objects)
            if (o.IsLock && o.Holder == caller) return (long)ErrorCode.NotPermitted;
        for (int i = 0; i < objects.Length; i++)
        {
            if (objects[i].Pending == 0) continue;
            Take(objects[i], caller);
            return i;
        }
        if (timeout == 0) return (long)ErrorCode.WouldBlock;
        // A handler that interrupted a wait of this thread must not start a second one: a thread waits in one place.
        if (caller.BlockedIn is not null) return (long)ErrorCode.NotPermitted;
        w.Describe(objects);
        w.Fired = -1;
        for (int i = 0; i < objects.Length; i++) objects[i].Waiters.Add((w, i));
        Stats.Blocked++;
        bool returned = false;
        try
        {
            long r = _kernel.Scheduler.Block(caller, w.Queue, timeout == NotifyLimits.Forever ? 0 : (long)timeout);
            if (caller.Killed) throw caller.Terminating();
            if (r == (long)ErrorCode.TimedOut) Stats.TimedOut++;
            returned = true;
            return r;
        }
        finally
        {
            w.Unlist();
            // Woken with a unit but killed before it could return: the unit goes back, so none is lost. (A lock
            // taken that way is released by the thread's exit, like any lock it holds.)
            if (!returned && w.Fired >= 0 && objects[w.Fired] is { IsLock: false, Closed: false } o) Release(o, 1, caller);
        }
    }

    private long Close(SimThread caller, ulong handle)
    {
        HandleTable handles = Handles(caller.Process);
        NotifyObject? n = handles.Find(handle);
        if (n is null) return (long)ErrorCode.BadHandle;
        handles.Remove(handle);
        if (n.Closed) return 0;
        if (n.Owner == caller.Process) Destroy(n, caller);
        else if (!handles.Refers(n)) WakeProcessWaiters(n, caller.Process, caller);
        return 0;
    }

    private long Lookup(SimThread caller, ulong handle, out NotifyObject? n)
    {
        n = Handles(caller.Process).Find(handle);
        if (n is null) return (long)ErrorCode.BadHandle;
        return n.Closed ? (long)ErrorCode.ObjectClosed : 0;
    }

    private static bool ValidTimeout(ulong timeout) => timeout == NotifyLimits.Forever || timeout <= CoreSyscalls.MaxSleepTicks;

    // The owner closed it or exited: every waiter, of any process, wakes with ObjectClosed, in arrival order.
    private void Destroy(NotifyObject n, SimThread? by)
    {
        n.Closed = true;
        n.Pending = 0;
        _live.Remove(n);
        if (n.Name is not null) _names.Remove(n.Name);
        while (n.Waiters.Count > 0)
        {
            (NotifyWait w, int index) = n.Waiters[0];
            w.Unlist();
            if (!w.Live) continue;
            EmitWake(w.Thread, n, index, (long)ErrorCode.ObjectClosed, by);
            Stats.ClosedWakes++;
            _kernel.Scheduler.Wake(w.Thread, (long)ErrorCode.ObjectClosed);
        }
    }

    // A process dropped its last handle to an object it does not own: its own waiters on it can never be woken.
    private void WakeProcessWaiters(NotifyObject n, Process p, SimThread by)
    {
        foreach ((NotifyWait w, int index) in n.Waiters.Where(x => x.Wait.Thread.Process == p).ToList())
        {
            w.Unlist();
            if (!w.Live) continue;
            EmitWake(w.Thread, n, index, (long)ErrorCode.ObjectClosed, by);
            Stats.ClosedWakes++;
            _kernel.Scheduler.Wake(w.Thread, (long)ErrorCode.ObjectClosed);
        }
    }

    private void EmitWake(SimThread woken, NotifyObject n, int index, long result, SimThread? by)
    {
        if (!_kernel.Tracing) return;
        _kernel.Emit(new KernelEvent
        {
            Pid = woken.Process.Pid, Tid = woken.Tid, Kind = EventKind.Wake, Code = result,
            A0 = (ulong)n.Id, A1 = (ulong)index, A2 = (ulong)(by?.Process.Pid ?? 0), A3 = (ulong)(by?.Tid ?? 0),
        });
    }

    public bool TryDeliverOne(SimThread thread) => false;

    public void OnProcessExit(Process process)
    {
        // Its threads' waits go first (its own threads, and threads acting for it in an RPC call): they are killed
        // or aborted, and one may be the very thread whose block found the deadlock, so it must be woken to unwind.
        // Then the objects it owns close, lowest id first.
        foreach (NotifyObject n in _live)
            foreach ((NotifyWait w, _) in n.Waiters.Where(x => x.Wait.Thread.Process == process || x.Wait.Thread.HomeProcess == process).ToList())
            {
                w.Unlist();
                if (w.Live) _kernel.Scheduler.Wake(w.Thread, (long)ErrorCode.ProcessExited);
            }
        foreach (NotifyObject n in _live.Where(n => n.Owner == process).ToList()) Destroy(n, null);
        if (_handles.Remove(process.Pid, out HandleTable? table)) table.Clear();
    }

    public int PinnedReferences(ulong frame) => 0;

    /// <summary>The family's invariants: notification units are conserved, and exits release handle tables.</summary>
    public IEnumerable<Invariant> Invariants =>
    [
        new("notify-units-conserved", "each open object's count equals the units notified minus the units taken (a lock's unit is held or counted, never both), and no wait blocks while units are there to take",
            UnitProblems),
        new("notify-handles-released", "an exited process keeps no handle table",
            () => _kernel.Processes.Where(p => p.State == ProcessState.Exited && _handles.ContainsKey(p.Pid))
                .Select(p => $"exited {p} still has a handle table")),
    ];

    /// <summary>
    /// The handle table of <paramref name="p"/>, made if it has none (tests make one for an exited process to see
    /// notify-handles-released catch it).
    /// </summary>
    internal HandleTable HandleTableOf(Process p) => Handles(p);

    /// <summary>The open objects, lowest id first (tests corrupt one to see the invariant catch it).</summary>
    internal IReadOnlyList<NotifyObject> LiveObjectList => _live;

    private IEnumerable<string> UnitProblems()
    {
        foreach (NotifyObject n in _live)
        {
            long expected = n.Notified - n.Taken;
            if (n.Pending != expected)
                yield return $"{n.Description} counts {n.Pending} units but {n.Notified} were notified and {n.Taken} taken ({expected} expected)";
            if (n.Pending < 0) yield return $"{n.Description} counts {n.Pending} units (negative)";
            if (n.IsLock && n.Pending + (n.Holder is null ? 0 : 1) != 1)
                yield return $"lock {n.Description} has {n.Pending} units and holder {(n.Holder?.ToString() ?? "none")}: its one unit is lost or doubled";
            if (n.Pending > 0 && n.Waiters.FirstOrDefault(w => w.Wait.Live) is { Wait: { } blocked })
                yield return $"{n.Description} has {n.Pending} units while {blocked.Thread} waits for it (a lost wakeup)";
        }
    }

    /// <summary>The family's counters.</summary>
    public NotifyStats Stats { get; } = new();

    /// <summary>Open objects (for leak checks in tests).</summary>
    internal int LiveObjects => _live.Count;
}
