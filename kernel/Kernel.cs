using System.Runtime.CompilerServices;
using System.Text;
using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Invariants;
using MicroKernel.Ipc;
using MicroKernel.Ipc.Notify;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Ipc.Rpc;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel;

/// <summary>
/// The kernel: owns the machine, the frame allocator, the processes and the scheduler, and is the only way user
/// code reaches any of them (syscalls, faults, memory accesses). Build it, <see cref="Spawn"/> processes, then
/// <see cref="Run"/>: the run is a pure function of the config and the programs.
/// </summary>
public sealed partial class Kernel
{
    /// <summary>Exit status of processes killed to end a deadlock or a run past its tick limit (128 + SIGKILL).</summary>
    public const long KilledStatus = 137;

    private readonly SortedDictionary<int, Process> _processes = [];
    private readonly List<IEventSink> _sinks = [];
    private readonly List<IIpcFamily> _families = [];
    private readonly NotificationIpc _notify;
    private readonly RpcIpc _rpc;
    private int _nextPid = 1;
    private int _nextTid = 1;
    private long _nextSeq;
    private RunOutcome _outcome = RunOutcome.Completed;
    private string? _deadlockReport;
    private PanicReport? _panic;
    private bool _ran;

    /// <summary>Boots a kernel on a fresh machine described by <paramref name="config"/>.</summary>
    public Kernel(KernelConfig config) : this(config, null)
    {
    }

    /// <summary>
    /// Boots a kernel whose scheduler uses <paramref name="policy"/> instead of the one <see cref="KernelConfig.Policy"/>
    /// names (null = that one). Trace replay passes a policy that follows a recorded run's decisions.
    /// </summary>
    public Kernel(KernelConfig config, ISchedulingPolicy? policy)
    {
        Config = config;
        Machine = new Machine(config.Frames, config.Protection, config.MpuRegions, config.TlbSize);
        // Frame 0 is the kernel's own page (mapped supervisor-only in every address space).
        Frames = new FrameAllocator(Machine.Memory, reservedFrames: 1);
        policy ??= config.Policy switch
        {
            PolicyKind.Priority => new FixedPriorityPolicy(config.Quantum),
            PolicyKind.Random => new RandomPolicy(config.Seed, config.Quantum),
            _ => new RoundRobinPolicy(config.Quantum),
        };
        Scheduler = new Scheduler(this, policy);
        CoreSyscalls.Register(this);
        _families.Add(new PageSendIpc(this));
        _rpc = new RpcIpc(this);
        _families.Add(_rpc);
        _notify = new NotificationIpc(this);
        _families.Add(_notify);
        _families.Add(new ShmemIpc(this));
        Injector = new FaultInjector(config.Faults, config.Seed, this);
        // The allocator and the TLB ask the injector only when a rule may refuse or skip there.
        if (Injector.HasFrameRules) Frames.Injector = Injector;
        if (Injector.HasTlbRules) Machine.Mmu.Tlb.Injector = Injector;
    }

    /// <summary>The kernel side of <see cref="KernelConfig.Faults"/>: where each rule fires (docs/faults.md).</summary>
    internal FaultInjector Injector { get; }

    /// <summary>The configuration the kernel booted with.</summary>
    public KernelConfig Config { get; }

    /// <summary>The simulated hardware.</summary>
    public Machine Machine { get; }

    /// <summary>The physical frame allocator.</summary>
    public FrameAllocator Frames { get; }

    /// <summary>The scheduler (virtual time, current thread).</summary>
    public Scheduler Scheduler { get; }

    /// <summary>RPC counters: calls, grants, MPU regions per call, refusals (docs/rpc.md).</summary>
    public RpcStats RpcStats => _rpc.Stats;

    /// <summary>The syscall table; IPC families add their syscalls here.</summary>
    public SyscallTable Syscalls { get; } = new();

    /// <summary>Everything written to the simulated console, in order.</summary>
    public StringBuilder ConsoleOutput { get; } = new();

    /// <summary>Every process ever spawned, by pid (exited ones included).</summary>
    public IReadOnlyCollection<Process> Processes => _processes.Values;

    /// <summary>True while anyone listens to events (then syscalls build enter/exit events).</summary>
    public bool Tracing => _sinks.Count > 0;

    /// <summary>
    /// A planted kernel bug, null in every normal run: the <c>Nth</c> call of syscall <c>Number</c> returns its result
    /// + 1, with no event saying so. Only <c>mk replay --break</c> and its tests set it, to check that replay reports
    /// the divergence (an injected error is a recorded event, so it could not play a silent bug).
    /// </summary>
    internal (long Number, long Nth)? BrokenSyscall { get; set; }

    private long _brokenSeen;

    /// <summary>
    /// Called just before a process's memory is freed at its exit or kill, so <c>mk run --dump-maps</c> can print its
    /// maps; null in every other run.
    /// </summary>
    internal Action<Process>? ExitObserver { get; set; }

    /// <summary>
    /// Plugs in one more IPC family after boot. Tests plant a broken one this way, to check that a bug in kernel code
    /// reached from an access point, a syscall or a thread's end is a panic and never a user's fault.
    /// </summary>
    internal void AddFamily(IIpcFamily family)
    {
        _families.Add(family);
        _invariants = null; // its invariants join the catalogue
    }

    /// <summary>The process with <paramref name="pid"/>, or null.</summary>
    public Process? FindProcess(int pid) => _processes.GetValueOrDefault(pid);

    /// <summary>
    /// Creates a process running <paramref name="image"/> with one main thread, ready to run.
    /// Returns an error (and creates nothing) when memory runs out or the image fails to load.
    /// </summary>
    public ErrorCode Spawn(ProgramImage image, string name, out Process? process, int priority = 0,
        FaultPolicy faultPolicy = FaultPolicy.Kill, IReadOnlyList<string>? arguments = null, int maxRestarts = 3)
    {
        process = null;
        AddressSpace? space = CreateAddressSpace();
        if (space is null) return ErrorCode.OutOfMemory;
        var p = new Process(_nextPid, name, image, space, priority, faultPolicy, arguments ?? []) { MaxRestarts = maxRestarts };
        ErrorCode loaded = image.Load(p, out ulong entry, out ulong argument);
        if (loaded != ErrorCode.Ok)
        {
            space.Destroy();
            return loaded;
        }
        _nextPid++;
        _processes[p.Pid] = p;
        Emit(new KernelEvent { Pid = p.Pid, Kind = EventKind.ProcessStart, Text = name });
        CreateThread(p, "main", priority, entry, argument, 0, isMain: true);
        process = p;
        return ErrorCode.Ok;
    }

    /// <summary>Runs until every thread has ended, a deadlock, the tick limit, or a kernel panic.</summary>
    public RunResult Run()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_ran) throw new InvalidOperationException("a kernel runs once");
        _ran = true;
        if (Config.WatchdogSeconds > 0) HostWatchdog.Watch(this);
        try
        {
            Scheduler.RunToCompletion();
        }
        finally
        {
            HostWatchdog.Unwatch(this);
        }
        ReleaseHeldEntry(); // a syscall that never returned (its thread was stopped inside it)
        EndCheckPoint();
        return new RunResult(_panic is null ? _outcome : RunOutcome.Panic, Scheduler.Now, Scheduler.Switches,
            _processes.Values.ToList(), _deadlockReport, _panic)
        {
            HostReports = HostReports,
            Deterministic = !WatchdogFired,
        };
    }

    /// <summary>Counters of the notification family (docs/notifications.md).</summary>
    public Ipc.Notify.NotifyStats NotifyStats => _notify.Stats;

    /// <summary>Open notification objects in the whole kernel (tests check that exits leave none behind).</summary>
    public int LiveNotifications => _notify.LiveObjects;

    /// <summary>References to user frames held by the kernel itself (IPC messages in flight).</summary>
    internal int PinnedReferences(ulong frame) => _families.Sum(f => f.PinnedReferences(frame));

    /// <summary>
    /// A delivery point: runs the handlers queued for the caller's process, unless one is running already (handlers
    /// do not nest). Then wakes the process's threads waiting in pause().
    /// </summary>
    internal void UpcallPoint(SimThread thread)
    {
        Process p = thread.Process;
        // A thread inside an RPC call runs the callee's code: no handler of either process may interrupt it there.
        if (p.PendingUpcalls == 0 || p.InUpcall || thread.Killed || thread.RpcFrames.Count > 0) return;
        Machine.Memory.Changes.Mark(CheckedState.All); // threads, processes and IPC state change: re-check everything
        p.InUpcall = true;
        bool ran = false;
        try
        {
            foreach (IIpcFamily family in _families)
                while (family.TryDeliverOne(thread))
                {
                    ran = true;
                    p.UpcallsRun++;
                }
        }
        finally
        {
            p.InUpcall = false;
            // Marked again: the handlers' own syscalls took the marks, and a delivery changes state after its handler.
            Machine.Memory.Changes.Mark(CheckedState.All);
        }
        if (ran)
            while (p.UpcallWaiters.Count > 0) Scheduler.Wake(p.UpcallWaiters.Waiters[0], 0);
    }

    /// <summary>A family queued an upcall for <paramref name="process"/>: make sure some thread of it will run it.</summary>
    internal void UpcallQueued(Process process)
    {
        Machine.Memory.Changes.Mark(CheckedState.All); // threads, processes and IPC state change: re-check everything
        process.PendingUpcalls++;
        Scheduler.Kick(process);
    }

    /// <summary>The syscall entry: every user program, C# or x86, comes through here.</summary>
    public long Syscall(SimThread caller, long number, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5) =>
        _sinks.Count > 0 ? Enter<Traced>(caller, number, a0, a1, a2, a3, a4, a5) : Enter<Untraced>(caller, number, a0, a1, a2, a3, a4, a5);

    // How a syscall enters: while anyone listens (Traced) or not. Enter is compiled once for each (a struct type
    // argument gets code of its own, the other mode's branch dropped), so a traced syscall runs its entry and exit
    // events in the same frame as the syscall, and an untraced one carries none of their code. Why: a second frame
    // for the traced part cost ~1.2 ns of a 9 ns null syscall (docs/benchmarks.md, "One frame for a traced syscall").
    private struct Traced;

    private struct Untraced;

    [MethodImpl(MethodImplOptions.NoInlining)] // its own code per mode, reached by a jump from Syscall
    private long Enter<TMode>(SimThread caller, long number, ulong a0, ulong a1, ulong a2, ulong a3, ulong a4, ulong a5) where TMode : struct
    {
        // Only the host thread holding the CPU may enter for this thread (user code must not start its own host threads).
        if (SimThread.CurrentHostId != caller.CpuHolderId) RefuseForeignHost(caller, $"syscall {number}");
        if (caller.MustUnwind) UnwindAgain(caller);
        try
        {
            return Dispatch<TMode>(caller, number, new SyscallArgs(a0, a1, a2, a3, a4, a5));
        }
        catch (ThreadTerminatedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Unwinding(caller, e);
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Dispatch<TMode>(SimThread caller, long number, in SyscallArgs args) where TMode : struct
    {
        TickCheckPoint(caller);
        Scheduler.Tick(caller);
        caller.UpcallsSeenAtEntry = caller.Process.UpcallsRun;
        if (caller.Process.PendingUpcalls != 0) UpcallPoint(caller);
        SyscallInfo? info = Syscalls.Find(number);
        // (A sink added while this syscall entered, at its scheduling point or upcalls, sees it: hence the check.)
        long result = typeof(TMode) == typeof(Traced) ? TracedSyscall(caller, number, info, args)
            : _sinks.Count > 0 ? TracedSyscallOutOfLine(caller, number, info, args) : Handle(caller, number, info, args);
        SyscallCheckPoint(caller, number);
        return result;
    }

    // The syscall itself, between its entry and exit: inlined in both modes of Dispatch.
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private long Handle(SimThread caller, long number, SyscallInfo? info, in SyscallArgs args)
    {
        long result;
        // A fault rule decides before the handler runs: a refused call changes nothing.
        // What the syscall may change is marked for the invariant checks (all of it unless it declares less).
        if (info is not null) Machine.Memory.Changes.Mark(info.Writes);
        if (Injector.HasSyscallRules && Injector.OnSyscall(caller, number, info, out ErrorCode injected)) result = (long)injected;
        else result = info is null ? (long)ErrorCode.UnknownSyscall : info.Handler(caller, args);
        // Marked again at the exit: a handler that blocked ran on after other threads' check points took the marks.
        if (info is not null) Machine.Memory.Changes.Mark(info.Writes);
        // The callee of an enclosing RPC call died while this syscall waited: unwind to that call.
        if (caller.RpcAborted) throw caller.Terminating();
        if (BrokenSyscall is { } broken && broken.Number == number && ++_brokenSeen == broken.Nth) result++;
        return result;
    }

    /// <summary>
    /// copy_from_user: reads user memory for a syscall, through the caller's protection unit (copy-on-write and all).
    /// False when any byte is refused: the syscall then returns <see cref="ErrorCode.BadAddress"/>. Traces see the bytes.
    /// </summary>
    public bool CopyFromUser(SimThread caller, ulong address, Span<byte> destination)
    {
        CheckHolder(caller, "copy from user");
        if (!caller.Space.TryRead(address, destination, out _)) return false;
        caller.SyscallIo?.Add(address, destination, written: false);
        return true;
    }

    /// <summary>
    /// Reads a name a syscall takes (a service's, a notification object's): <paramref name="length"/> bytes of printable
    /// ASCII, since names appear in traces and reports. BadAddress or InvalidArgument when it cannot be one.
    /// </summary>
    internal ErrorCode CopyNameFromUser(SimThread caller, ulong address, ulong length, out string name)
    {
        name = "";
        var bytes = new byte[length];
        if (!CopyFromUser(caller, address, bytes)) return ErrorCode.BadAddress;
        if (Array.Exists(bytes, b => b is < 0x21 or > 0x7E)) return ErrorCode.InvalidArgument;
        name = Encoding.ASCII.GetString(bytes);
        return ErrorCode.Ok;
    }

    /// <summary>copy_to_user: writes user memory for a syscall; false (nothing written) when any byte is refused.</summary>
    public bool CopyToUser(SimThread caller, ulong address, ReadOnlySpan<byte> source)
    {
        CheckHolder(caller, "copy to user");
        if (!caller.Space.TryWrite(address, source, out _)) return false;
        caller.SyscallIo?.Add(address, source, written: true);
        return true;
    }

    /// <summary>
    /// A user access was refused: records the fault, applies the process's fault policy and unwinds the thread.
    /// Never returns.
    /// </summary>
    public void RaiseFault(SimThread thread, MemoryFault fault, string detail = "")
    {
        CheckHolder(thread, "fault report");
        // An access through a grant revoked because its callee died is not a new fault: just unwind to the call.
        if (thread.RpcAborted) throw thread.Terminating();
        // A family names what lies at the address (a shared-memory segment and its owner).
        foreach (IIpcFamily family in _families)
            if (family.DescribeAddress(thread.Process, fault.Address) is { } what && !detail.StartsWith(what, StringComparison.Ordinal))
                detail = detail.Length == 0 ? what : what + "; " + detail;
        FaultEntry(thread, new FaultRecord(thread.Process.Pid, thread.Tid, Scheduler.Now, fault.Address, fault.Access, fault.Reason, detail));
    }

    /// <summary>A non-memory fault (illegal instruction, divide error) at <paramref name="address"/>. Never returns.</summary>
    public void RaiseFault(SimThread thread, FaultReason reason, ulong address, string detail)
    {
        CheckHolder(thread, "fault report");
        if (thread.RpcAborted) throw thread.Terminating();
        FaultEntry(thread, new FaultRecord(thread.Process.Pid, thread.Tid, Scheduler.Now, address, AccessKind.Execute, reason, detail));
    }

    // The fault path is a kernel entry too: a bug while applying the policy is a panic, not another fault.
    private void FaultEntry(SimThread thread, FaultRecord record)
    {
        try
        {
            HandleFault(thread, record);
        }
        catch (ThreadTerminatedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Unwinding(thread, e);
        }
        throw thread.Terminating();
    }

    /// <summary>Creates a thread of <paramref name="process"/> starting at <paramref name="entry"/>; it is ready at once.</summary>
    internal SimThread CreateThread(Process process, string name, int priority, ulong entry, ulong argument, ulong stackTop, bool isMain = false)
    {
        Machine.Memory.Changes.Mark(CheckedState.All); // threads, processes and IPC state change: re-check everything
        ProgramImage image = process.Image;
        // An image that can keep the thread's state in an object gets an inline thread: no host thread of its own.
        ResumableBody? steps = Config.InlineThreads ? image.CreateResumableBody(entry, argument, stackTop) : null;
        var t = steps is not null
            ? new SimThread(this, process, _nextTid++, name, priority, steps) { IsMain = isMain }
            : new SimThread(this, process, _nextTid++, name, priority, self => image.Run(self, entry, argument, stackTop)) { IsMain = isMain };
        process.ThreadList.Add(t);
        Scheduler.LiveThreads.Add(t);
        Emit(new KernelEvent { Pid = process.Pid, Tid = t.Tid, Kind = EventKind.ThreadStart, Text = name, A0 = entry, A1 = argument });
        t.StartHost();
        Scheduler.MakeReady(t);
        return t;
    }

    /// <summary>Ends <paramref name="process"/>: its memory is freed now, its threads unwind when next dispatched.</summary>
    internal void KillProcess(Process process, long status)
    {
        Machine.Memory.Changes.Mark(CheckedState.All); // threads, processes and IPC state change: re-check everything
        if (process.State != ProcessState.Running) return;
        process.State = ProcessState.Dying;
        process.ExitStatus = status;
        KillThreads(process);
        ExitObserver?.Invoke(process);
        ReleaseIpc(process);
        process.AddressSpace.Destroy();
    }

    /// <summary>A <c>kill</c> fault rule fired: the process ends with <see cref="KilledStatus"/> (docs/faults.md).</summary>
    internal void KillByFaultRule(Process process) => KillProcess(process, KilledStatus);

    /// <summary>
    /// A <c>crash</c> fault rule fired: <paramref name="thread"/> faults with <see cref="FaultReason.Injected"/>, so its
    /// process's fault policy runs (kill, or the supervisor's restart). The running thread unwinds now, as from any
    /// fault; another thread unwinds when next dispatched.
    /// </summary>
    internal void InjectCrash(SimThread thread, string detail)
    {
        HandleFault(thread, new FaultRecord(thread.Process.Pid, thread.Tid, Scheduler.Now, 0, AccessKind.Execute, FaultReason.Injected, detail));
        if (ReferenceEquals(thread, Scheduler.Current)) throw thread.Terminating();
    }

    // Stamps the event with its sequence number and tick and hands it to every sink: a struct copy, no allocation.
    internal void Emit(in KernelEvent e)
    {
        if (_sinks.Count == 0) return;
        ReleaseHeldEntry();
        Deliver(e with { Seq = _nextSeq++, Tick = Scheduler.Now });
    }

    private void Deliver(in KernelEvent e)
    {
        for (int i = 0; i < _sinks.Count; i++) _sinks[i].Emit(in e);
    }

    // False only with canSuspend: the inline thread was switched away and its step returns (ResumeAtSchedulingPoint goes on).
    internal bool AccessPoint(SimThread thread, bool canSuspend = false)
    {
        CheckHolder(thread, "scheduling point");
        if (thread.MustUnwind) UnwindAgain(thread);
        thread.AccessBudget = Config.AccessesPerTick;
        try
        {
            TickCheckPoint(thread);
            if (!Scheduler.Tick(thread, canSuspend)) return false;
            if (thread.Process.PendingUpcalls != 0) UpcallPoint(thread);
            return true;
        }
        catch (ThreadTerminatedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Unwinding(thread, e);
        }
    }

    /// <summary>
    /// An exception escaped the user program's own code (<paramref name="e"/> is what it threw): a UserException fault
    /// of the process the thread acts for. Returns the thread's exit code. Never throws: a kernel bug while applying
    /// the fault policy is a panic (then the thread's exit code is the kill status).
    /// </summary>
    internal long UserCrashed(SimThread thread, Exception e)
    {
        var record = FaultRecord.ForUserException(thread.Process.Pid, thread.Tid, Scheduler.Now, e);
        try
        {
            HandleFault(thread, record);
            return record.ExitStatus;
        }
        catch (Exception k)
        {
            Panic(thread, k);
            return thread.ExitCode;
        }
    }

    // How every kernel entry reached from user code (syscall, access point, fault) ends when an exception crossed it:
    // the user program's own exception, wrapped at its image's boundary, is its process's fault; the kernel's own
    // unwinding (ThreadTerminatedException) is rethrown before this; anything else is a bug of the kernel: a panic.
    private Exception Unwinding(SimThread thread, Exception e)
    {
        if (e is not UserCodeException user) return Panic(thread, e);
        if (!thread.MustUnwind) UserCrashed(thread, user.Thrown);
        return thread.Terminating();
    }

    internal void ThreadFinished(SimThread thread, long code, bool mainReturned)
    {
        Machine.Memory.Changes.Mark(CheckedState.All); // threads, processes and IPC state change: re-check everything
        try
        {
            Process p = thread.Process;
            thread.ExitCode = code;
            // Each family releases what the thread alone held (a notification lock goes to its next waiter).
            foreach (IIpcFamily family in _families) family.OnThreadExit(thread);
            // Returning from main is exit(code): the other threads end too.
            if (mainReturned) KillProcess(p, code);
            Emit(new KernelEvent { Pid = p.Pid, Tid = thread.Tid, Kind = EventKind.ThreadExit, Code = code });
            while (thread.JoinWaiters.Count > 0) Scheduler.Wake(thread.JoinWaiters.Waiters[0], code);
            p.ThreadList.Remove(thread);
            p.ExitedThreadCodes[thread.Tid] = code;
            if (p.ThreadList.Count == 0)
            {
                if (p.State == ProcessState.Running)
                {
                    p.ExitStatus = code;
                    ExitObserver?.Invoke(p);
                }
                p.State = ProcessState.Exited;
                ReleaseIpc(p);
                p.AddressSpace.Destroy();
                Emit(new KernelEvent { Pid = p.Pid, Kind = EventKind.ProcessExit, Code = p.ExitStatus });
            }
            Scheduler.ExitCurrent(thread);
        }
        catch (Exception e)
        {
            Panic(thread, e);
            Scheduler.ExitCurrent(thread);
        }
    }

    internal void OnSwitch(SimThread? previous, SimThread next, string why)
    {
        if (_sinks.Count == 0 || previous is null) return;
        Emit(new KernelEvent { Pid = previous.Process.Pid, Tid = previous.Tid, Kind = EventKind.Switch, A0 = (ulong)next.Tid, A1 = (ulong)next.Process.Pid, Text = why });
    }

    internal void OnIdle(long now) => Emit(new KernelEvent { Kind = EventKind.Idle, A0 = (ulong)now });

    internal void OnDeadlock(List<SimThread> blocked)
    {
        var report = new StringBuilder("deadlock: every live thread is blocked");
        foreach (SimThread t in blocked) report.Append(CultureInfo.InvariantCulture, $"\n  {t} waits for {t.WaitingFor}");
        _deadlockReport = report.ToString();
        _outcome = RunOutcome.Deadlock;
        Emit(new KernelEvent { Kind = EventKind.Deadlock, Text = _deadlockReport });
        foreach (Process p in blocked.Select(t => t.Process).Distinct().OrderBy(p => p.Pid).ToList()) KillProcess(p, KilledStatus);
    }

    internal void OnTickLimit()
    {
        if (_outcome == RunOutcome.TickLimit) return;
        _outcome = RunOutcome.TickLimit;
        Emit(new KernelEvent { Kind = EventKind.TickLimit, Text = $"virtual time passed {Config.MaxTicks} ticks" });
        foreach (Process p in _processes.Values.ToList()) KillProcess(p, KilledStatus);
    }

    private void ReleaseIpc(Process p)
    {
        Machine.Memory.Changes.Mark(CheckedState.All); // threads, processes and IPC state change: re-check everything
        foreach (IIpcFamily family in _families) family.OnProcessExit(p);
        p.PendingUpcalls = 0;
        while (p.UpcallWaiters.Count > 0) Scheduler.Wake(p.UpcallWaiters.Waiters[0], 0);
    }

    /// <summary>
    /// A bug inside the kernel: the first one is recorded (report, Panic event) and every process is killed, so every
    /// thread unwinds and the run stops with <see cref="RunOutcome.Panic"/>. Returns the exception that unwinds the
    /// current thread through user code (which program images let pass).
    /// </summary>
    internal KernelPanicException Panic(SimThread? thread, Exception e)
    {
        if (_panic is null)
        {
            int pid = thread?.Process.Pid ?? 0, tid = thread?.Tid ?? 0;
            // The exception's trace runs from the throw to the kernel entry that caught it; the path into that entry
            // (which user code, or which kernel path, got there) completes the picture.
            string stack = $"{e}\n--- the kernel entry was reached from ---\n{new System.Diagnostics.StackTrace(1, true)}";
            _panic = new PanicReport(e, Tracing ? _nextSeq : null, Scheduler.Now, pid, tid, stack);
            // The kernel's state is suspect from here on: a second failure while stopping must not hide the first.
            try
            {
                Emit(new KernelEvent { Pid = pid, Tid = tid, Kind = EventKind.Panic, Text = _panic.Summary });
            }
            catch (Exception)
            {
                // The report above is what the run returns; a sink that fails now cannot add to it.
            }
            foreach (Process p in _processes.Values.ToList())
            {
                try
                {
                    KillProcess(p, KilledStatus);
                }
                catch (Exception)
                {
                    // KillProcess marks the threads killed first, so they unwind even when releasing memory fails.
                }
            }
        }
        return e as KernelPanicException ?? new KernelPanicException($"kernel panic: {PanicReport.Describe(e)}", e);
    }

    private AddressSpace? CreateAddressSpace() => Config.Protection == ProtectionModel.Paging
        ? PagedAddressSpace.TryCreate(Machine, Frames)
        : new MpuAddressSpace(Machine, Frames);

    private void HandleFault(SimThread thread, FaultRecord record)
    {
        Process p = thread.Process;
        p.Faults.Add(record);
        thread.ExitCode = record.ExitStatus;
        Emit(new KernelEvent
        {
            Pid = p.Pid, Tid = thread.Tid, Kind = EventKind.Fault, Code = (long)record.Reason,
            A0 = record.Address, A1 = (ulong)record.Access, Text = record.Detail,
        });
        if (p.FaultPolicy == FaultPolicy.Restart && p.Restarts < p.MaxRestarts && p.State == ProcessState.Running) Restart(p);
        else KillProcess(p, record.ExitStatus);
    }

    // Hubris-style supervision: the process starts over with fresh memory and a new main thread.
    private void Restart(Process p)
    {
        // The old generation's threads are killed (137), not ended cleanly: their exit lines must not read as code 0.
        KillThreads(p, KilledStatus);
        ReleaseIpc(p);
        p.AddressSpace.Destroy();
        AddressSpace? space = CreateAddressSpace();
        if (space is null) { KillProcess(p, KilledStatus); return; }
        p.AddressSpace = space;
        p.Restarts++;
        ulong entry = 0, argument = 0;
        ErrorCode loaded;
        try
        {
            loaded = p.Image.Load(p, out entry, out argument);
        }
        catch (UserCodeException)
        {
            loaded = ErrorCode.InvalidArgument; // the program's own constructor threw: it cannot start again
        }
        if (loaded != ErrorCode.Ok) { KillProcess(p, KilledStatus); return; }
        Emit(new KernelEvent { Pid = p.Pid, Kind = EventKind.Restart, Code = p.Restarts });
        CreateThread(p, "main", p.Priority, entry, argument, 0, isMain: true);
    }

    private void KillThreads(Process p, long? code = null)
    {
        foreach (SimThread t in p.ThreadList.ToList())
        {
            if (t.Killed) continue;
            t.Killed = true;
            t.AccessBudget = 0;
            if (t.ExitCode == 0) t.ExitCode = code ?? p.ExitStatus;
            if (!ReferenceEquals(t, Scheduler.Current)) Scheduler.Interrupt(t);
        }
    }
}
