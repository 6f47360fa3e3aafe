using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Ipc.PageSend;

/// <summary>
/// Page-granular IPC (docs/page-send.md): send(pid, type, addr, npages, flags) moves, shares or copies whole pages to
/// the receiver's handler for <c>type</c>, which runs like a signal at the receiver's next scheduling point and
/// accepts (the pages stay mapped) or abandons (they are released). docs/page-send.md explains it with diagrams.
/// </summary>
internal sealed class PageSendIpc : IIpcFamily
{
    /// <summary>A handler's result that keeps the pages.</summary>
    public const long Accept = 1;

    /// <summary>Largest message, in pages (64 Ki pages = 256 MiB).</summary>
    public const ulong MaxPages = 1 << 16;

    /// <summary>Message types are below this bound.</summary>
    public const ulong MaxType = 1 << 16;

    private const ArgFormat I = ArgFormat.Int, H = ArgFormat.Hex;
    private readonly Kernel _kernel;
    // Each process's handlers and message queue, by pid: made at first use, dropped when the process exits (or
    // restarts). Lookup only, never enumerated, so hashing order cannot reach the output.
    private readonly Dictionary<int, PageSendState> _states = [];

    public PageSendIpc(Kernel kernel)
    {
        _kernel = kernel;
        kernel.Syscalls.Register(new((long)SyscallNumber.Send, "send", [("pid", I), ("type", I), ("addr", H), ("npages", I), ("flags", ArgFormat.SendFlags)],
            (SimThread c, in SyscallArgs a) => Send(c, a.A0, a.A1, a.A2, a.A3, a.A4))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.Misaligned, ErrorCode.BadAddress, ErrorCode.NotMapped, ErrorCode.NotPermitted, ErrorCode.NoSuchProcess, ErrorCode.ProcessExited, ErrorCode.NoHandler, ErrorCode.QueueFull, ErrorCode.NoMpuRegion, ErrorCode.OutOfMemory] });
        kernel.Syscalls.Register(new((long)SyscallNumber.RegisterHandler, "register_handler", [("type", I), ("entry", H)],
            (SimThread c, in SyscallArgs a) => RegisterHandler(c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument] });
        kernel.Syscalls.Register(new((long)SyscallNumber.Pause, "pause", [("ticks", I)], (SimThread c, in SyscallArgs a) => Pause(c, a.A0))
        { Errors = [ErrorCode.TimedOut, ErrorCode.InvalidArgument, ErrorCode.NotPermitted] });
    }

    // The state of a process that uses page send (registers a handler, or receives); created here on first use.
    private PageSendState State(Process p)
    {
        if (!_states.TryGetValue(p.Pid, out PageSendState? s)) _states[p.Pid] = s = new PageSendState();
        return s;
    }

    // The state of a process if it has one: read-only questions must not create state for every process asked about.
    private PageSendState? Find(Process p) => _states.GetValueOrDefault(p.Pid);

    private bool HasHandler(Process p, ulong type) => Find(p)?.Handlers.ContainsKey(type) == true;

    private long RegisterHandler(SimThread caller, ulong type, ulong entry)
    {
        if (type >= MaxType) return (long)ErrorCode.InvalidArgument;
        Process p = caller.Process;
        if (entry == 0)
        {
            State(p).Handlers.Remove(type);
            return 0;
        }
        if (!p.Image.IsValidEntry(p, entry, EntryKind.Handler)) return (long)ErrorCode.InvalidArgument;
        State(p).Handlers[type] = entry;
        return 0;
    }

    private long Pause(SimThread caller, ulong ticks)
    {
        if (ticks > CoreSyscalls.MaxSleepTicks) return (long)ErrorCode.InvalidArgument;
        // Handlers that ran on the way into this syscall count: otherwise the last message could be missed.
        if (caller.Process.UpcallsRun != caller.UpcallsSeenAtEntry) return 0;
        return _kernel.Scheduler.Block(caller, caller.Process.UpcallWaiters, (long)ticks);
    }

    private long Send(SimThread caller, ulong pid, ulong type, ulong address, ulong pages, ulong flags)
    {
        while (true)
        {
            long result = TrySend(caller, pid, type, address, pages, flags, out PageSendState? full);
            if (full is null) return result;
            // Bit 5: wait for the full queue to drain, then validate everything again.
            long woke = _kernel.Scheduler.Block(caller, full.SpaceWaiters);
            if (woke < 0) return woke;
        }
    }

    // Validates everything first and changes nothing on error. `full` is set when the caller asked to block on a
    // full queue.
    private long TrySend(SimThread caller, ulong pidArg, ulong type, ulong address, ulong pages, ulong flags, out PageSendState? full)
    {
        full = null;
        if ((flags & SendFlagBits.Reserved) != 0 || type >= MaxType || pages == 0 || pages > MaxPages) return (long)ErrorCode.InvalidArgument;
        if ((address & (AddressSpace.PageSize - 1)) != 0) return (long)ErrorCode.Misaligned;
        Process sender = caller.Process;
        AddressSpace space = sender.AddressSpace;
        if (!space.InUserRange(address, pages * AddressSpace.PageSize)) return (long)ErrorCode.BadAddress;
        var f = (SendFlags)flags;
        bool duplicate = (f & SendFlags.Duplicate) != 0, keep = (f & SendFlags.SenderKeeps) != 0;
        bool move = !duplicate && !keep, share = !duplicate && keep;
        ulong target = flags & SendFlagBits.TargetMask;

        List<Process> receivers;
        if (target == 0 || target == (ulong)SendFlags.ToSelf)
        {
            Process? r = target == 0 ? (pidArg <= int.MaxValue ? _kernel.FindProcess((int)pidArg) : null) : sender;
            if (r is null) return (long)ErrorCode.NoSuchProcess;
            if (r.State != ProcessState.Running) return (long)ErrorCode.ProcessExited;
            if (!HasHandler(r, type)) return (long)ErrorCode.NoHandler;
            receivers = [r];
        }
        else
        {
            // One frame cannot move to several places: a broadcast shares or copies.
            if (move) return (long)ErrorCode.InvalidArgument;
            receivers = _kernel.Processes
                .Where(p => p.State == ProcessState.Running && HasHandler(p, type))
                .Where(p => target == (ulong)SendFlags.ToAll || p != sender)
                .ToList();
            if (receivers.Count == 0) return (long)ErrorCode.NoHandler;
        }

        // A receiver may write only what the sender may write, unless it gets its own copy.
        bool receiverWrites = (f & SendFlags.ReceiverWrite) != 0;
        ErrorCode range = space.CheckSendRange(address, pages, needWrite: move || (share && receiverWrites));
        if (range != ErrorCode.Ok) return (long)range;
        if (share && receivers.Contains(sender) && !space.CanShareWithItself) return (long)ErrorCode.InvalidArgument;

        foreach (Process r in receivers)
        {
            if (State(r).Pending.Count < _kernel.Config.MessageQueueCapacity) continue;
            // Blocking on one's own queue could never end: only its own handlers drain it.
            if ((f & SendFlags.Block) != 0 && r != sender) { full = State(r); return 0; }
            return (long)ErrorCode.QueueFull;
        }
        foreach (Process r in receivers)
            // Each delivered message becomes an area (under an MPU, a region): the queued ones, this one, less the
            // one a move to oneself frees first.
            if (!r.AddressSpace.CanTakeRegions(State(r).Pending.Count + 1 - (r == sender && move ? 1 : 0)))
                return (long)ErrorCode.NoMpuRegion;

        // Everything checked: now take the pages.
        PageRun[] runs;
        if (move)
        {
            runs = [space.DetachPages(address, pages)];
        }
        else if (share)
        {
            runs = new PageRun[receivers.Count];
            for (int i = 0; i < receivers.Count; i++)
            {
                ErrorCode e = space.ReferencePages(address, pages, out runs[i]);
                if (e == ErrorCode.Ok) continue;
                for (int j = 0; j < i; j++) space.ReleaseRun(runs[j]);
                return (long)e;
            }
        }
        else
        {
            ErrorCode e = space.DuplicatePages(address, pages, keep, receivers.Count, out runs);
            if (e != ErrorCode.Ok) return (long)e;
        }
        for (int i = 0; i < receivers.Count; i++)
        {
            State(receivers[i]).Pending.Enqueue(new QueuedPageMessage(sender.Pid, type, runs[i], flags));
            _kernel.UpcallQueued(receivers[i]);
        }
        return receivers.Count;
    }

    public bool TryDeliverOne(SimThread thread)
    {
        Process p = thread.Process;
        PageSendState? state = Find(p);
        if (state is null || !state.Pending.TryPeek(out QueuedPageMessage? m)) return false;
        if (_kernel.Injector.Active && !m.DelayAsked)
        {
            // A delay fault rule may hold this delivery (and the queue behind it, which stays FIFO) back a few ticks.
            m.DelayAsked = true;
            long ticks = _kernel.Injector.DelayDelivery(thread, m.Type, m.SenderPid);
            if (ticks > 0) m.HeldUntil = _kernel.Scheduler.Now + ticks;
        }
        if (_kernel.Scheduler.Now < m.HeldUntil) return false;
        state.Pending.Dequeue();
        p.PendingUpcalls--;
        while (state.SpaceWaiters.Count > 0) _kernel.Scheduler.Wake(state.SpaceWaiters.Waiters[0], 0);
        ulong pages = (ulong)m.Pages.Count;
        if (!state.Handlers.TryGetValue(m.Type, out ulong entry))
        {
            // The handler was removed after the send: nobody can accept the pages.
            p.AddressSpace.ReleaseRun(m.Pages);
            EmitDelivery(thread, m, 0, pages, (long)ErrorCode.NoHandler);
            return true;
        }
        ErrorCode attached = p.AddressSpace.AttachPages(m.Pages, m.ReceiverProtection, $"ipc type {m.Type} from pid {m.SenderPid}", out ulong at);
        if (attached != ErrorCode.Ok)
        {
            p.AddressSpace.ReleaseRun(m.Pages);
            EmitDelivery(thread, m, 0, pages, (long)attached);
            return true;
        }
        if (_kernel.Tracing)
            _kernel.Emit(new KernelEvent
            {
                Pid = p.Pid, Tid = thread.Tid, Kind = EventKind.Upcall, Code = (long)m.Type,
                A0 = (ulong)m.SenderPid, A1 = at, A2 = pages, A3 = m.Flags, A4 = entry,
            });
        long result = p.Image.RunUpcall(thread, entry, new UpcallArgs((ulong)m.SenderPid, m.Type, at, pages, m.Flags));
        thread.ReturnedFromUserCode();
        if (result != Accept && p.State == ProcessState.Running) p.AddressSpace.Unmap(at, pages * AddressSpace.PageSize);
        EmitDelivery(thread, m, at, pages, result == Accept ? 1 : 0);
        return true;
    }

    public void OnProcessExit(Process process)
    {
        if (Find(process) is not { } state) return;
        _states.Remove(process.Pid);
        while (state.Pending.TryDequeue(out QueuedPageMessage? m)) process.AddressSpace.ReleaseRun(m.Pages);
        while (state.SpaceWaiters.Count > 0) _kernel.Scheduler.Wake(state.SpaceWaiters.Waiters[0], (long)ErrorCode.ProcessExited);
    }

    public int PinnedReferences(ulong frame)
    {
        int n = 0;
        foreach (Process p in _kernel.Processes)
            foreach (QueuedPageMessage m in Find(p)?.Pending ?? [])
                foreach (ulong f in m.Pages.Frames)
                    if (f == frame) n++;
        return n;
    }

    /// <summary>The family's invariant: page-send queues stay within bounds.</summary>
    public IEnumerable<Invariant> Invariants =>
    [
        new("page-send-queues", "a process's message queue holds at most MessageQueueCapacity messages, each counted as a pending upcall; an exited process keeps no queue or handlers",
            QueueProblems),
    ];

    /// <summary>The queue of <paramref name="p"/> (made if missing): tests overfill it to see the invariant catch it.</summary>
    internal Queue<QueuedPageMessage> QueueOf(Process p) => State(p).Pending;

    private IEnumerable<string> QueueProblems()
    {
        foreach (Process p in _kernel.Processes)
        {
            if (Find(p) is not { } state) continue;
            if (p.State == ProcessState.Exited) { yield return $"exited {p} still has handlers or a queue"; continue; }
            int queued = state.Pending.Count;
            if (queued > _kernel.Config.MessageQueueCapacity)
                yield return $"{p} has {queued} queued messages, over the capacity of {_kernel.Config.MessageQueueCapacity}";
            if (queued > p.PendingUpcalls) yield return $"{p} has {queued} queued messages but only {p.PendingUpcalls} pending upcalls (a message nobody will deliver)";
        }
    }

    private void EmitDelivery(SimThread thread, QueuedPageMessage m, ulong at, ulong pages, long result) =>
        _kernel.Emit(new KernelEvent
        {
            Pid = thread.Process.Pid, Tid = thread.Tid, Kind = EventKind.Delivery, Code = (long)m.Type,
            A0 = (ulong)m.SenderPid, A1 = at, A2 = pages, A3 = m.Flags, Result = result,
        });
}
