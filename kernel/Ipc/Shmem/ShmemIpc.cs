using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Ipc.Shmem;

/// <summary>
/// Owned shared memory (design.md 3.4, docs/shmem.md): a segment is made for the pair of processes of a connection and
/// mapped into both at once. One of them owns it and maps it read/write; the other maps it with no access, so touching
/// it faults and the fault report names the segment and its owner. Ownership moves only by sending the segment: in an
/// asynchronous message (shm_send) or lent for a synchronous call (shm_call, the seed's GiveAndGetBack). The sender
/// loses access, its TLB entries shot down, before the receiver gains it. Unsafe segments are read/write for both.
/// Closing the connection, or the exit of either process, unmaps every segment it carried from both and frees it;
/// only a segment made to survive (<see cref="ShmemFlags.Survives"/>) stays in the survivor until it closes or exits.
/// </summary>
internal sealed partial class ShmemIpc : IIpcFamily
{
    /// <summary>Largest segment, in bytes (256 MiB, page send's largest message).</summary>
    public const ulong MaxSegmentBytes = 256UL << 20;

    /// <summary>Message types are below this bound.</summary>
    public const ulong MaxType = 1 << 16;

    private const ArgFormat I = ArgFormat.Int, H = ArgFormat.Hex;
    private readonly Kernel _kernel;
    // Open connections and live segments by id (sorted: teardown order reaches the event stream).
    private readonly SortedDictionary<int, ShmemConnection> _connections = [];
    private readonly SortedDictionary<int, Segment> _segments = [];
    // The open connection of a pair, by (lower pid, higher pid); lookup only.
    private readonly Dictionary<(int, int), ShmemConnection> _byPair = [];
    // Why a connection that is gone went: ProcessExited (a side exited) or NoSuchConnection (closed); lookup only.
    private readonly Dictionary<int, ErrorCode> _closed = [];
    // Each process's handler and queue, by pid: made at first use, dropped at exit; lookup only.
    private readonly Dictionary<int, ShmemProcessState> _states = [];
    // Messages are pooled: a send allocates nothing in steady state.
    private readonly ShmemMessagePool _messages = new();
    private int _nextConnection = 1;
    private int _nextSegment = 1;

    public ShmemIpc(Kernel kernel)
    {
        _kernel = kernel;
        SyscallTable t = kernel.Syscalls;
        t.Register(new((long)SyscallNumber.ShmConnect, "shm_connect", [("pid", I)], (SimThread c, in SyscallArgs a) => Connect(c, a.A0))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.NoSuchProcess, ErrorCode.ProcessExited] });
        t.Register(new((long)SyscallNumber.ShmCreate, "shm_create", [("conn", I), ("size", I), ("flags", H)], (SimThread c, in SyscallArgs a) => Create(c, a.A0, a.A1, a.A2))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.NoSuchConnection, ErrorCode.NotThisPair, ErrorCode.ProcessExited, ErrorCode.OutOfMemory, ErrorCode.NoMpuRegion] });
        t.Register(new((long)SyscallNumber.ShmAddress, "shm_address", [("segment", I)], (SimThread c, in SyscallArgs a) => Address(c, a.A0), H)
        { Errors = [ErrorCode.NoSuchSegment, ErrorCode.NotThisPair] });
        t.Register(new((long)SyscallNumber.ShmSend, "shm_send", [("segment", I), ("type", I)], (SimThread c, in SyscallArgs a) => Send(c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.NoSuchSegment, ErrorCode.NotThisPair, ErrorCode.AlreadySent, ErrorCode.NotOwner, ErrorCode.NoHandler, ErrorCode.QueueFull] });
        t.Register(new((long)SyscallNumber.ShmCall, "shm_call", [("segment", I), ("type", I)], (SimThread c, in SyscallArgs a) => Call(c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.NoSuchSegment, ErrorCode.NotThisPair, ErrorCode.AlreadySent, ErrorCode.NotOwner, ErrorCode.NoHandler, ErrorCode.QueueFull, ErrorCode.PeerFaulted] });
        t.Register(new((long)SyscallNumber.ShmDestroy, "shm_destroy", [("segment", I)], (SimThread c, in SyscallArgs a) => Destroy(c, a.A0))
        { Errors = [ErrorCode.NoSuchSegment, ErrorCode.NotThisPair, ErrorCode.AlreadySent, ErrorCode.NotOwner] });
        t.Register(new((long)SyscallNumber.ShmClose, "shm_close", [("conn", I)], (SimThread c, in SyscallArgs a) => Close(c, a.A0))
        { Errors = [ErrorCode.NoSuchConnection, ErrorCode.NotThisPair, ErrorCode.ProcessExited] });
        t.Register(new((long)SyscallNumber.ShmHandler, "shm_handler", [("entry", H)], (SimThread c, in SyscallArgs a) => RegisterHandler(c, a.A0))
        { Errors = [ErrorCode.InvalidArgument] });
    }

    /// <summary>Live segments, by id (tests and the invariants read them).</summary>
    internal IReadOnlyCollection<Segment> Segments => _segments.Values;

    /// <summary>Open connections, by id.</summary>
    internal IReadOnlyCollection<ShmemConnection> Connections => _connections.Values;

    private ShmemProcessState State(Process p)
    {
        if (!_states.TryGetValue(p.Pid, out ShmemProcessState? s)) _states[p.Pid] = s = new ShmemProcessState();
        return s;
    }

    private ShmemProcessState? Find(Process p) => _states.GetValueOrDefault(p.Pid);

    private long Connect(SimThread caller, ulong pidArg)
    {
        Process me = caller.Process;
        if (pidArg > int.MaxValue || (int)pidArg == me.Pid) return (long)ErrorCode.InvalidArgument;
        Process? peer = _kernel.FindProcess((int)pidArg);
        if (peer is null) return (long)ErrorCode.NoSuchProcess;
        if (peer.State != ProcessState.Running) return (long)ErrorCode.ProcessExited;
        (Process a, Process b) = me.Pid < peer.Pid ? (me, peer) : (peer, me);
        if (!_byPair.TryGetValue((a.Pid, b.Pid), out ShmemConnection? c))
        {
            c = new ShmemConnection(_nextConnection++, a, b);
            _byPair[(a.Pid, b.Pid)] = c;
            _connections[c.Id] = c;
        }
        return c.Id;
    }

    // The caller's open connection `id`, or the error that says why not.
    private ErrorCode FindConnection(Process caller, ulong id, out ShmemConnection? c)
    {
        c = null;
        if (id > int.MaxValue || !_connections.TryGetValue((int)id, out c))
            return id <= int.MaxValue && _closed.TryGetValue((int)id, out ErrorCode why) ? why : ErrorCode.NoSuchConnection;
        return c.Has(caller) ? ErrorCode.Ok : ErrorCode.NotThisPair;
    }

    private long Create(SimThread caller, ulong connId, ulong size, ulong flags)
    {
        const ulong known = (ulong)(ShmemFlags.Unsafe | ShmemFlags.Survives);
        if ((flags & ~known) != 0 || flags == (ulong)ShmemFlags.Survives || size == 0 || size > MaxSegmentBytes) return (long)ErrorCode.InvalidArgument;
        Process me = caller.Process;
        ErrorCode e = FindConnection(me, connId, out ShmemConnection? c);
        if (e != ErrorCode.Ok) return (long)e;
        Process peer = c!.Peer(me);
        if (peer.State != ProcessState.Running) return (long)ErrorCode.ProcessExited;
        bool isUnsafe = (flags & (ulong)ShmemFlags.Unsafe) != 0;
        int id = _nextSegment;
        e = me.AddressSpace.MapSegment(size, id, out ulong mine);
        if (e != ErrorCode.Ok) return (long)e;
        e = me.AddressSpace.ShareSegment(mine, peer.AddressSpace, isUnsafe ? Protection.ReadWrite : Protection.None, out ulong theirs);
        if (e != ErrorCode.Ok)
        {
            me.AddressSpace.UnmapSegment(mine);
            return (long)e;
        }
        _nextSegment++;
        var s = new Segment(id, c, size, isUnsafe, me, survives: (flags & (ulong)ShmemFlags.Survives) != 0);
        (s.AddressA, s.AddressB) = ReferenceEquals(me, c.A) ? (mine, theirs) : (theirs, mine);
        _segments[id] = s;
        c.Segments[id] = s;
        return id;
    }

    // The caller's segment `id`, or the error that says why not (checked in this order: exists, this pair, in flight
    // or lent, owned by the caller; the last two only when `owner` asks).
    private ErrorCode FindSegment(Process caller, ulong id, bool owner, out Segment? s)
    {
        s = null;
        if (id > int.MaxValue || !_segments.TryGetValue((int)id, out s)) return ErrorCode.NoSuchSegment;
        if (!s.Connection.Has(caller)) return ErrorCode.NotThisPair;
        if (!owner || s.Unsafe) return ErrorCode.Ok;
        if (s.State != SegmentState.Owned) return ErrorCode.AlreadySent;
        return ReferenceEquals(s.Owner, caller) ? ErrorCode.Ok : ErrorCode.NotOwner;
    }

    private long Address(SimThread caller, ulong id)
    {
        ErrorCode e = FindSegment(caller.Process, id, owner: false, out Segment? s);
        return e != ErrorCode.Ok ? (long)e : (long)s!.AddressIn(caller.Process);
    }

    private long RegisterHandler(SimThread caller, ulong entry)
    {
        Process p = caller.Process;
        if (entry != 0 && !p.Image.IsValidEntry(p, entry, EntryKind.SegmentHandler)) return (long)ErrorCode.InvalidArgument;
        if (entry == 0 && Find(p) is null) return 0;
        State(p).Handler = entry;
        return 0;
    }

    // Checks a send or call and, when it may go, takes the sender's access away: the first half of the move.
    private long StartSend(SimThread caller, ulong id, ulong type, bool call, out ShmemMessage? message)
    {
        message = null;
        if (type >= MaxType) return (long)ErrorCode.InvalidArgument;
        Process me = caller.Process;
        ErrorCode e = FindSegment(me, id, owner: true, out Segment? s);
        if (e != ErrorCode.Ok) return (long)e;
        Process peer = s!.Connection.Peer(me);
        if (Find(peer) is not { Handler: not 0 } target) return (long)ErrorCode.NoHandler;
        if (target.Pending.Count >= _kernel.Config.MessageQueueCapacity) return (long)ErrorCode.QueueFull;
        message = _messages.Get(s, type, me, call ? caller : null);
        if (!s.Unsafe)
        {
            // The sender's mapping loses access (and its TLB entries) before the receiver's gains it, at delivery.
            me.AddressSpace.SetSegmentAccess(s.AddressIn(me), Protection.None);
            s.State = SegmentState.InFlight;
            s.Owner = peer;
        }
        s.Messages.Add(message);
        target.Pending.Enqueue(message);
        _kernel.UpcallQueued(peer);
        return 0;
    }

    private long Send(SimThread caller, ulong id, ulong type) => StartSend(caller, id, type, call: false, out _);

    private long Call(SimThread caller, ulong id, ulong type)
    {
        long started = StartSend(caller, id, type, call: true, out ShmemMessage? m);
        if (started < 0) return started;
        // The handler's result, or PeerFaulted when the peer died (or the connection closed) before giving it back.
        return _kernel.Scheduler.Block(caller, m!.Reply);
    }

    private long Destroy(SimThread caller, ulong id)
    {
        ErrorCode e = FindSegment(caller.Process, id, owner: true, out Segment? s);
        if (e != ErrorCode.Ok) return (long)e;
        TearDown(s!);
        return 0;
    }

    private long Close(SimThread caller, ulong id)
    {
        ErrorCode e = FindConnection(caller.Process, id, out ShmemConnection? c);
        if (e != ErrorCode.Ok) return (long)e;
        CloseConnection(c!, ErrorCode.NoSuchConnection);
        return 0;
    }

    // Unmaps every segment of the connection from both sides, drops its queued messages and forgets it.
    private void CloseConnection(ShmemConnection c, ErrorCode why)
    {
        foreach (Segment s in c.Segments.Values.ToList()) TearDown(s);
        _connections.Remove(c.Id);
        _byPair.Remove((c.A.Pid, c.B.Pid));
        _closed[c.Id] = why;
    }

    // A segment goes away: both mappings (and so its frames), its queued message, and a caller waiting for it.
    private void TearDown(Segment s)
    {
        ShmemConnection c = s.Connection;
        c.A.AddressSpace.UnmapSegment(s.AddressA);
        c.B.AddressSpace.UnmapSegment(s.AddressB);
        _segments.Remove(s.Id);
        c.Segments.Remove(s.Id);
        foreach (ShmemMessage m in s.Messages)
        {
            DropQueued(c.A, m);
            DropQueued(c.B, m);
            if (m.Caller is { } waiting && m.Reply.Count > 0) _kernel.Scheduler.Wake(waiting, (long)ErrorCode.PeerFaulted);
            // A call whose handler runs now goes back to the pool when the handler returns (TryDeliverOne).
            if (!m.Delivered) _messages.Return(m);
        }
        s.Messages.Clear();
    }

    // Removes a message that will never be delivered from a queue, with the upcall it counted.
    private void DropQueued(Process p, ShmemMessage m)
    {
        if (Find(p) is not { } state || !state.Pending.Contains(m)) return;
        var kept = state.Pending.Where(x => !ReferenceEquals(x, m)).ToList();
        state.Pending.Clear();
        foreach (ShmemMessage x in kept) state.Pending.Enqueue(x);
        if (p.PendingUpcalls > 0) p.PendingUpcalls--;
    }

    public bool TryDeliverOne(SimThread thread)
    {
        Process p = thread.Process;
        if (Find(p) is not { } state || !state.Pending.TryDequeue(out ShmemMessage? m)) return false;
        p.PendingUpcalls--;
        m.Delivered = true;
        Segment s = m.Segment;
        ulong at = s.AddressIn(p);
        if (!m.IsCall) s.Messages.Remove(m);
        if (!s.Unsafe)
        {
            // The second half of the move: the receiver gains access (the sender lost it at the send).
            s.Owner = p;
            s.State = m.IsCall ? SegmentState.Lent : SegmentState.Owned;
            p.AddressSpace.SetSegmentAccess(at, Protection.ReadWrite);
        }
        var args = new UpcallArgs((ulong)s.Id, m.Type, at, s.Size, ShmemUpcall.Pack(m.Sender.Pid, m.IsCall, s.Unsafe));
        long result;
        if (state.Handler == 0)
        {
            // The handler was removed after the send: the segment is the receiver's, and a caller hears NoHandler.
            result = (long)ErrorCode.NoHandler;
        }
        else
        {
            if (_kernel.Tracing)
                _kernel.Emit(new KernelEvent
                {
                    Pid = p.Pid, Tid = thread.Tid, Kind = EventKind.Upcall, Code = (long)m.Type,
                    A0 = (ulong)m.Sender.Pid, A1 = at, A2 = s.Size, A3 = args.A4, A4 = state.Handler, Text = s.Describe(),
                });
            // A negative result would read as an error of shm_call: the reply is never below 0.
            result = Math.Max(0, p.Image.RunUpcall(thread, state.Handler, args));
            thread.ReturnedFromUserCode();
        }
        if (m.IsCall) GiveBack(m, result);
        if (_kernel.Tracing) // the text is made only for a sink (Emit drops the event without one)
            _kernel.Emit(new KernelEvent
            {
                Pid = p.Pid, Tid = thread.Tid, Kind = EventKind.Delivery, Code = (long)m.Type,
                A0 = (ulong)m.Sender.Pid, A1 = at, A2 = s.Size, A3 = args.A4, Result = result, Text = s.Describe(),
            });
        _messages.Return(m);
        return true;
    }

    // The end of a call: the segment returns to the caller (the handler's side loses access first), who wakes with
    // the reply. Nothing to do when the segment went away meanwhile (TearDown woke the caller already).
    private void GiveBack(ShmemMessage m, long reply)
    {
        Segment s = m.Segment;
        if (!_segments.ContainsKey(s.Id) || !s.Messages.Remove(m)) return;
        if (!s.Unsafe)
        {
            Process lender = s.Owner;
            lender.AddressSpace.SetSegmentAccess(s.AddressIn(lender), Protection.None);
            s.Owner = m.Sender;
            s.State = SegmentState.Owned;
            m.Sender.AddressSpace.SetSegmentAccess(s.AddressIn(m.Sender), Protection.ReadWrite);
        }
        if (m.Reply.Count > 0) _kernel.Scheduler.Wake(m.Caller!, reply);
    }

    public void OnProcessExit(Process process)
    {
        // An exit may be released twice (a kill, then its last thread's end): a connection it already left is skipped.
        foreach (ShmemConnection c in _connections.Values.Where(c => c.Has(process) && !ReferenceEquals(c.Exited, process)).ToList())
        {
            if (c.Exited is not null || !c.Segments.Values.Any(s => s.Survives))
            {
                CloseConnection(c, ErrorCode.ProcessExited);
                continue;
            }
            // Segments made to survive stay mapped in the survivor alone; every other segment goes now.
            foreach (Segment s in c.Segments.Values.Where(s => !s.Survives).ToList()) TearDown(s);
            foreach (Segment s in c.Segments.Values) process.AddressSpace.UnmapSegment(s.AddressIn(process));
            c.Exited = process;
            _byPair.Remove((c.A.Pid, c.B.Pid));
        }
        _states.Remove(process.Pid);
    }

    // Segment frames are mapped in both spaces, one reference per mapping: nothing is held in flight.
    public int PinnedReferences(ulong frame) => 0;

    /// <summary>Names the segment a refused access of <paramref name="process"/> at <paramref name="address"/> hit.</summary>
    public string? DescribeAddress(Process process, ulong address)
    {
        foreach (Segment s in _segments.Values)
        {
            if (!s.Connection.Has(process)) continue;
            Vma? v = process.AddressSpace.SegmentArea(s.AddressIn(process));
            if (v is not null && v.Contains(address)) return s.Describe();
        }
        return null;
    }
}
