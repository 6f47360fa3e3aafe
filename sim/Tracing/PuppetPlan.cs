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

/// <summary>The steps of a thread body, of one handler run or of one RPC method run.</summary>
internal sealed class PuppetBlock
{
    /// <summary>The steps, in order.</summary>
    public List<PuppetStep> Steps { get; } = [];

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

    /// <summary>The handlers run on this thread, in the order the kernel ran them.</summary>
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
/// </summary>
internal sealed class PuppetPlan
{
    private readonly Dictionary<int, ThreadScript> _threads = [];
    private readonly Dictionary<int, HashSet<(ulong Entry, EntryKind Kind)>> _entries = [];
    private readonly Dictionary<int, List<TraceEvent>> _mainStarts = [];

    /// <summary>Problems found while building the plan (a trace the puppets cannot follow exactly).</summary>
    public List<string> Warnings { get; } = [];

    /// <summary>Recorded syscalls the puppets will re-issue.</summary>
    public int SyscallCount { get; private set; }

    /// <summary>The script of thread <paramref name="tid"/>, or null.</summary>
    public ThreadScript? Thread(int tid) => _threads.GetValueOrDefault(tid);

    /// <summary>Threads with a script.</summary>
    public int ThreadCount => _threads.Count;

    /// <summary>True when the recorded kernel accepted <paramref name="entry"/> as code of that kind in process <paramref name="pid"/>.</summary>
    public bool IsValidEntry(int pid, ulong entry, EntryKind kind) => _entries.TryGetValue(pid, out var set) && set.Contains((entry, kind));

    /// <summary>The main thread start of process <paramref name="pid"/>'s <paramref name="generation"/>th load (restarts load again).</summary>
    public TraceEvent? MainStart(int pid, int generation) =>
        _mainStarts.TryGetValue(pid, out List<TraceEvent>? starts) && generation < starts.Count ? starts[generation] : null;

    /// <summary>Builds the plan from a trace's events.</summary>
    public static PuppetPlan Build(IReadOnlyList<TraceEvent> events)
    {
        var plan = new PuppetPlan();
        var own = new Dictionary<int, long>();     // ticks each thread made while it held the CPU
        var levels = new Dictionary<int, Stack<Level>>();
        var faulted = new HashSet<int>();
        int current = TraceAnalysis.FirstThread(events);
        long lastTick = 0;
        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            if (e.Kind == EventKind.Idle)
            {
                lastTick = e.Tick; // a time jump while every thread slept: nobody's tick
                continue;
            }
            if (current != 0) own[current] = own.GetValueOrDefault(current) + (e.Tick - lastTick);
            lastTick = e.Tick;
            int tid = e.Tid;
            long clock = own.GetValueOrDefault(tid);
            Stack<Level>? stack = levels.GetValueOrDefault(tid);
            switch (e.Kind)
            {
                case EventKind.ThreadStart:
                    var script = new ThreadScript(te);
                    plan._threads[tid] = script;
                    own[tid] = 0;
                    levels[tid] = new Stack<Level>([new Level(script.Body, 0, LevelKind.Body)]);
                    if (e.Text == "main" && !plan._mainStarts.ContainsKey(e.Pid)) plan._mainStarts[e.Pid] = [];
                    if (e.Text == "main") plan._mainStarts[e.Pid].Add(te);
                    break;
                case EventKind.SyscallEnter when stack is not null:
                {
                    Level level = stack.Peek();
                    int ticks = level.TicksTo(clock);
                    if (ticks < 1) plan.Warnings.Add($"event #{e.Seq}: tid {tid} enters a syscall without a tick of its own");
                    var step = new SyscallStep(Math.Max(0, ticks - 1), te);
                    level.Block.Steps.Add(step);
                    level.Open = step;
                    plan.SyscallCount++;
                    break;
                }
                case EventKind.SyscallExit when stack is not null:
                {
                    Level level = stack.Peek();
                    if (level.Open is null)
                    {
                        plan.Warnings.Add($"event #{e.Seq}: a syscall exit of tid {tid} without its entry");
                        break;
                    }
                    level.Open.Exit = te;
                    level.Open = null;
                    level.Anchor = clock;
                    level.Nested = 0;
                    plan.NoteEntry(level.Block.Steps[^1] as SyscallStep, te);
                    break;
                }
                case EventKind.Upcall when stack is not null:
                {
                    var block = new PuppetBlock { Upcall = te };
                    plan._threads[tid].Handlers.Enqueue(block);
                    stack.Push(new Level(block, clock, LevelKind.Handler));
                    break;
                }
                case EventKind.Delivery when stack is not null && stack.Peek().Kind == LevelKind.Handler && e.Result >= 0:
                {
                    Level handler = stack.Pop();
                    handler.Block.Steps.Add(new ReturnStep(handler.TicksTo(clock), e.Result));
                    stack.Peek().Nested += clock - handler.Start;
                    break;
                }
                case EventKind.Fault when stack is not null:
                {
                    Level level = stack.Peek();
                    level.Block.Steps.Add(new FaultStep(level.TicksTo(clock), te));
                    // A fault inside an RPC method is the callee's: the thread survives it (its call returns PeerFaulted).
                    if (level.Kind != LevelKind.Call) faulted.Add(tid);
                    break;
                }
                case EventKind.RpcEnter when stack is not null:
                {
                    var block = new PuppetBlock { RpcEnter = te };
                    plan._threads[tid].Calls.Enqueue(block);
                    stack.Push(new Level(block, clock, LevelKind.Call, (int)e.A2));
                    break;
                }
                case EventKind.RpcReturn when stack is not null:
                {
                    // Calls the thread unwound out of without a return (their caller died meanwhile) end here too.
                    while (stack.Peek().Kind == LevelKind.Call && stack.Peek().Depth > (int)e.A2) stack.Pop();
                    if (stack.Peek().Kind != LevelKind.Call || stack.Peek().Depth != (int)e.A2)
                    {
                        plan.Warnings.Add($"event #{e.Seq}: an rpc return of tid {tid} at depth {e.A2} without its enter");
                        break;
                    }
                    Level method = stack.Pop();
                    method.Block.Steps.Add(new ReturnStep(method.TicksTo(clock), e.Result));
                    break;
                }
                case EventKind.ThreadExit when stack is not null:
                {
                    Level level = stack.Peek();
                    // Only a body that returned by itself: exit syscalls, faults and kills end the thread in the kernel.
                    if (stack.Count == 1 && level.Open is null && !faulted.Contains(tid))
                        level.Block.Steps.Add(new ReturnStep(level.TicksTo(clock), e.Code));
                    levels.Remove(tid);
                    break;
                }
                case EventKind.Switch:
                    current = (int)e.A0;
                    break;
            }
        }
        return plan;
    }

    // A successful thread_create or register_handler, or an rpc_export that got past its entry check (it failed
    // for another reason than InvalidArgument or NotPermitted): the recorded kernel accepted that entry.
    private void NoteEntry(SyscallStep? step, TraceEvent exit)
    {
        if (step is null) return;
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
