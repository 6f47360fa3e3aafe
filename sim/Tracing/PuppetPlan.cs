using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>One thing a puppet does in user mode, after <see cref="Ticks"/> scheduling points of its own.</summary>
/// <param name="Ticks">Scheduling points (the recorded thread's memory accesses) to make first.</param>
internal abstract record PuppetStep(int Ticks);

/// <summary>Re-issue a recorded syscall (its input bytes are written to user memory first).</summary>
internal sealed record SyscallStep(int Ticks, TraceEvent Enter) : PuppetStep(Ticks)
{
    /// <summary>The recorded exit, or null when the syscall never returned (exit, or the thread was killed in it).</summary>
    public TraceEvent? Exit { get; set; }
}

/// <summary>Make the recorded faulting access (or raise the recorded non-memory fault).</summary>
internal sealed record FaultStep(int Ticks, TraceEvent Fault) : PuppetStep(Ticks);

/// <summary>Return from the thread body (its exit code), a handler (1 = accept, 0 = abandon) or an RPC method (its result).</summary>
internal sealed record ReturnStep(int Ticks, long Value) : PuppetStep(Ticks);

/// <summary>
/// The steps of a thread body, of one handler run or of one RPC method run: a queue the plan fills as it reads the
/// trace and the puppet empties as it replays, so steps already replayed are not kept.
/// </summary>
internal sealed class PuppetBlock
{
    /// <summary>Steps read but not replayed yet, in order.</summary>
    public Queue<PuppetStep> Steps { get; } = new();

    /// <summary>True once the plan read the block's end (its return, the thread's exit, or the end of the trace): no step will follow those queued.</summary>
    public bool Closed { get; set; }

    /// <summary>For a handler: the recorded Upcall event that started it.</summary>
    public TraceEvent? Upcall { get; init; }

    /// <summary>For an RPC method: the recorded RpcEnter event that started it (callee pid, object, method, depth).</summary>
    public TraceEvent? RpcEnter { get; init; }
}

/// <summary>What one recorded thread did: its body, and the handler runs the kernel made it do, in order.</summary>
internal sealed class ThreadScript(TraceEvent start)
{
    /// <summary>The recorded ThreadStart event.</summary>
    public TraceEvent Start { get; } = start;

    /// <summary>The thread body's steps.</summary>
    public PuppetBlock Body { get; } = new();

    /// <summary>The handlers run on this thread, in the order the kernel ran them (those read and not started yet).</summary>
    public Queue<PuppetBlock> Handlers { get; } = new();

    /// <summary>The RPC methods run on this thread (its calls into services, at any depth), in the order they were entered.</summary>
    public Queue<PuppetBlock> Calls { get; } = new();
}

/// <summary>
/// A recorded trace turned into scripts for puppet threads (<c>replay --syscalls-only</c>). The subtle part is time:
/// the recorded programs also reached scheduling points by touching user memory, which leaves no event. The plan
/// recovers how many such points each thread made between two of its own events by attributing every tick to the
/// thread that held the CPU (Switch events say who that is; idle jumps belong to nobody) and subtracting the ticks of
/// nested handlers. RPC methods run on the calling thread: the syscalls and faults between an RpcEnter and its
/// RpcReturn on that tid are the callee's, scripted as a method block the puppet callee replays when the kernel runs
/// the method. A puppet that makes the same number of points, under a <see cref="ReplayPolicy"/>, meets every
/// preemption, wake-up and handler delivery at the recorded tick, so the whole event stream can be compared.
/// <para>
/// The plan streams: it reads the trace in order only as far as the replay needs, <see cref="Window"/> events past
/// the replay's position (the <see cref="IReplayCursor"/>), and the puppets dequeue the steps they replay, so memory
/// holds a window of the trace, not the trace. A puppet whose next step is not read yet makes one scheduling point
/// and asks again: in a replay that follows the recording, a thread's next event is the very next one once it made
/// all its points, so it is always inside the window when it is due.
/// </para>
/// </summary>
internal sealed class PuppetPlan
{
    /// <summary>How many recorded events past the replay's position the plan reads.</summary>
    public const int Window = 1024;

    private const int MaxWarnings = 20;

    private readonly IReadOnlyList<TraceEvent> _events;
    private readonly IReplayCursor? _cursor;
    private readonly Dictionary<int, ThreadScript> _threads = [];
    private readonly Dictionary<int, HashSet<(ulong Entry, EntryKind Kind)>> _entries = [];
    private readonly Dictionary<int, List<TraceEvent>> _mainStarts = [];
    private readonly Dictionary<int, long> _own = [];     // ticks each thread made while it held the CPU
    private readonly Dictionary<int, Stack<Level>> _levels = [];
    private readonly HashSet<int> _faulted = [];
    private int _current;
    private long _lastTick;
    private bool _draining;
    private bool _ended;

    /// <summary>
    /// A plan that reads <paramref name="events"/> as the replay that <paramref name="cursor"/> follows goes on; with
    /// no cursor, it reads them all at once (a small trace held in memory).
    /// </summary>
    public PuppetPlan(IReadOnlyList<TraceEvent> events, IReplayCursor? cursor)
    {
        _events = events;
        _cursor = cursor;
        _current = TraceAnalysis.FirstThread(events);
        if (cursor is null) Advance(events.Count);
    }

    /// <summary>Problems found while building the plan (a trace the puppets cannot follow exactly), the first few.</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Recorded syscalls read so far (all of them once the replay ended).</summary>
    public long SyscallCount { get; private set; }

    /// <summary>Recorded events the plan has read: the replay's position plus at most <see cref="Window"/>.</summary>
    public long EventsRead { get; private set; }

    /// <summary>Threads with a script.</summary>
    public int ThreadCount => _threads.Count;

    /// <summary>Syscall exits found by reading past the window (<see cref="ExitOf"/>): syscalls that blocked for long.</summary>
    public long ExitScans { get; private set; }

    /// <summary>Builds the whole plan of a trace held in memory.</summary>
    public static PuppetPlan Build(IReadOnlyList<TraceEvent> events) => new(events, null);

    /// <summary>The script of thread <paramref name="tid"/>, or null.</summary>
    public ThreadScript? Thread(int tid)
    {
        Advance();
        return _threads.GetValueOrDefault(tid);
    }

    /// <summary>The next handler run of thread <paramref name="tid"/>, or null when the recording has none here.</summary>
    public PuppetBlock? NextHandler(int tid)
    {
        Advance();
        return _threads.GetValueOrDefault(tid) is { } script && script.Handlers.TryDequeue(out PuppetBlock? block) ? block : null;
    }

    /// <summary>The next RPC method run on thread <paramref name="tid"/>, or null when the recording has none here.</summary>
    public PuppetBlock? NextCall(int tid)
    {
        Advance();
        return _threads.GetValueOrDefault(tid) is { } script && script.Calls.TryDequeue(out PuppetBlock? block) ? block : null;
    }

    /// <summary>
    /// The next step of <paramref name="block"/>, read as far as the window allows; null when it is not read yet
    /// (see <see cref="PuppetBlock.Closed"/> for whether one will come). The caller dequeues it once it is due.
    /// </summary>
    public PuppetStep? Peek(PuppetBlock block)
    {
        Advance();
        return block.Steps.TryPeek(out PuppetStep? step) ? step : null;
    }

    /// <summary>
    /// The recorded exit of <paramref name="step"/>'s syscall: read already, or found by reading ahead without keeping
    /// what lies between (a syscall that blocked for long); null when the recorded syscall never returned.
    /// </summary>
    public TraceEvent? ExitOf(SyscallStep step)
    {
        Advance();
        if (step.Exit is not null || EventsRead >= _events.Count) return step.Exit;
        // Syscalls of the same thread in between (handlers and RPC methods nested in this one) come in pairs.
        int tid = step.Enter.Event.Tid, open = 0;
        ExitScans++;
        foreach (TraceEvent te in Trace.EventsFrom(_events, step.Enter.Event.Seq + 1))
        {
            KernelEvent e = te.Event;
            if (e.Tid != tid) continue;
            if (e.Kind == EventKind.SyscallEnter) open++;
            else if (e.Kind == EventKind.SyscallExit && open-- == 0) return te;
            else if (e.Kind is EventKind.ThreadExit or EventKind.ThreadStart) return null;
        }
        return null;
    }

    /// <summary>True when the recorded kernel accepted <paramref name="entry"/> as code of that kind in process <paramref name="pid"/>.</summary>
    public bool IsValidEntry(int pid, ulong entry, EntryKind kind)
    {
        Advance();
        return _entries.TryGetValue(pid, out var set) && set.Contains((entry, kind));
    }

    /// <summary>The main thread start of process <paramref name="pid"/>'s <paramref name="generation"/>th load (restarts load again).</summary>
    public TraceEvent? MainStart(int pid, int generation)
    {
        Advance();
        return _mainStarts.TryGetValue(pid, out List<TraceEvent>? starts) && generation < starts.Count ? starts[generation] : null;
    }

    /// <summary>
    /// After the replay: reads the rest of the trace for its counts (threads, syscalls, warnings) without keeping any
    /// step, so a replay that stopped early does not load what it did not replay.
    /// </summary>
    public void Finish()
    {
        _draining = true;
        Advance(_events.Count);
    }

    /// <summary>Reads the trace up to <see cref="Window"/> events past the replay's position.</summary>
    public void ReadAhead() => Advance();

    private void Advance() => Advance(_cursor is null ? _events.Count : Math.Min(_events.Count, _cursor.Position + Window));

    private void Advance(long until)
    {
        while (EventsRead < until) Read(_events[(int)EventsRead++]);
        if (EventsRead == _events.Count && !_ended)
        {
            _ended = true;
            foreach (Stack<Level> stack in _levels.Values)
                foreach (Level level in stack) level.Block.Closed = true; // the recording ends inside these
        }
    }

    private void Warn(string warning)
    {
        if (Warnings.Count < MaxWarnings) Warnings.Add(warning);
    }

    private void Add(PuppetBlock block, PuppetStep step)
    {
        if (!_draining) block.Steps.Enqueue(step);
    }

    private void Read(TraceEvent te)
    {
        KernelEvent e = te.Event;
        if (e.Kind == EventKind.Idle)
        {
            _lastTick = e.Tick; // a time jump while every thread slept: nobody's tick
            return;
        }
        if (_current != 0) _own[_current] = _own.GetValueOrDefault(_current) + (e.Tick - _lastTick);
        _lastTick = e.Tick;
        int tid = e.Tid;
        long clock = _own.GetValueOrDefault(tid);
        Stack<Level>? stack = _levels.GetValueOrDefault(tid);
        switch (e.Kind)
        {
            case EventKind.ThreadStart:
                var script = new ThreadScript(te);
                _threads[tid] = script;
                _own[tid] = 0;
                _levels[tid] = new Stack<Level>([new Level(script.Body, 0, LevelKind.Body)]);
                if (e.Text == "main" && !_mainStarts.ContainsKey(e.Pid)) _mainStarts[e.Pid] = [];
                if (e.Text == "main") _mainStarts[e.Pid].Add(te);
                break;
            case EventKind.SyscallEnter when stack is not null:
            {
                Level level = stack.Peek();
                int ticks = level.TicksTo(clock);
                if (ticks < 1) Warn($"event #{e.Seq}: tid {tid} enters a syscall without a tick of its own");
                var step = new SyscallStep(Math.Max(0, ticks - 1), te);
                Add(level.Block, step);
                level.Open = step;
                SyscallCount++;
                break;
            }
            case EventKind.SyscallExit when stack is not null:
            {
                Level level = stack.Peek();
                if (level.Open is null)
                {
                    Warn($"event #{e.Seq}: a syscall exit of tid {tid} without its entry");
                    break;
                }
                level.Open.Exit = te;
                NoteEntry(level.Open, te);
                level.Open = null;
                level.Anchor = clock;
                level.Nested = 0;
                break;
            }
            case EventKind.Upcall when stack is not null:
            {
                var block = new PuppetBlock { Upcall = te };
                if (!_draining) _threads[tid].Handlers.Enqueue(block);
                stack.Push(new Level(block, clock, LevelKind.Handler));
                break;
            }
            case EventKind.Delivery when stack is not null && stack.Peek().Kind == LevelKind.Handler && e.Result >= 0:
            {
                Level handler = stack.Pop();
                Add(handler.Block, new ReturnStep(handler.TicksTo(clock), e.Result));
                handler.Block.Closed = true;
                stack.Peek().Nested += clock - handler.Start;
                break;
            }
            case EventKind.Fault when stack is not null:
            {
                Level level = stack.Peek();
                Add(level.Block, new FaultStep(level.TicksTo(clock), te));
                // A fault inside an RPC method is the callee's: the thread survives it (its call returns PeerFaulted).
                if (level.Kind != LevelKind.Call) _faulted.Add(tid);
                break;
            }
            case EventKind.RpcEnter when stack is not null:
            {
                var block = new PuppetBlock { RpcEnter = te };
                if (!_draining) _threads[tid].Calls.Enqueue(block);
                stack.Push(new Level(block, clock, LevelKind.Call, (int)e.A2));
                break;
            }
            case EventKind.RpcReturn when stack is not null:
            {
                // Calls the thread unwound out of without a return (their caller died meanwhile) end here too.
                while (stack.Peek().Kind == LevelKind.Call && stack.Peek().Depth > (int)e.A2) stack.Pop().Block.Closed = true;
                if (stack.Peek().Kind != LevelKind.Call || stack.Peek().Depth != (int)e.A2)
                {
                    Warn($"event #{e.Seq}: an rpc return of tid {tid} at depth {e.A2} without its enter");
                    break;
                }
                Level method = stack.Pop();
                Add(method.Block, new ReturnStep(method.TicksTo(clock), e.Result));
                method.Block.Closed = true;
                break;
            }
            case EventKind.ThreadExit when stack is not null:
            {
                Level level = stack.Peek();
                // Only a body that returned by itself: exit syscalls, faults and kills end the thread in the kernel.
                if (stack.Count == 1 && level.Open is null && !_faulted.Contains(tid))
                    Add(level.Block, new ReturnStep(level.TicksTo(clock), e.Code));
                foreach (Level l in stack) l.Block.Closed = true;
                _levels.Remove(tid);
                break;
            }
            case EventKind.Switch:
                _current = (int)e.A0;
                break;
        }
    }

    // A successful thread_create or register_handler, or an rpc_export that got past its entry check (it failed
    // for another reason than InvalidArgument or NotPermitted): the recorded kernel accepted that entry.
    private void NoteEntry(SyscallStep step, TraceEvent exit)
    {
        long result = exit.Event.Result;
        KernelEvent e = step.Enter.Event;
        (ulong, EntryKind)? entry = e.Code switch
        {
            (long)SyscallNumber.RpcExport when result is not ((long)ErrorCode.InvalidArgument or (long)ErrorCode.NotPermitted) => (e.A0, EntryKind.Service),
            _ when result < 0 => null,
            (long)SyscallNumber.ThreadCreate => (e.A0, EntryKind.Thread),
            (long)SyscallNumber.RegisterHandler when e.A1 != 0 => (e.A1, EntryKind.Handler),
            (long)SyscallNumber.ShmHandler when e.A0 != 0 => (e.A0, EntryKind.SegmentHandler),
            _ => null,
        };
        if (entry is null) return;
        if (!_entries.TryGetValue(e.Pid, out var set)) _entries[e.Pid] = set = [];
        set.Add(entry.Value);
    }

    private enum LevelKind { Body, Handler, Call }

    // A body, handler or RPC method being scripted: ticks of this level since its last step (nested handlers excluded).
    private sealed class Level(PuppetBlock block, long start, LevelKind kind, int depth = 0)
    {
        public PuppetBlock Block { get; } = block;
        public LevelKind Kind { get; } = kind;
        public int Depth { get; } = depth; // of an RPC method: 1 = the outermost call
        public long Start { get; } = start;
        public long Anchor { get; set; } = start;
        public long Nested { get; set; }
        public SyscallStep? Open { get; set; }

        public int TicksTo(long clock)
        {
            long ticks = clock - Anchor - Nested;
            Anchor = clock;
            Nested = 0;
            return (int)Math.Clamp(ticks, 0, int.MaxValue);
        }
    }
}
