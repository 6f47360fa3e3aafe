using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using HostThread = System.Threading.Thread;

namespace MicroKernel.Processes;

/// <summary>
/// A simulated thread (a thread control block). A host-threaded one (a C# program's) runs on its own managed host
/// thread; an inline one (with a <see cref="ResumableBody"/>, an x86 program's) runs on a runner host thread, the one
/// that holds the CPU (docs/architecture.md, "Threads without host threads"). Only the thread the scheduler dispatched
/// runs; the others are parked on their <see cref="_gate"/> or, inline, suspended in their body. User code reaches
/// the kernel only through <see cref="Syscall"/> and the load/store methods here, which go through the process's
/// protection unit.
/// </summary>
public sealed class SimThread
{
    // The handoff: the running thread opens the next one's gate and waits on its own. The gate spins briefly
    // before it parks, so a switch costs a fraction of a microsecond instead of an OS wake-up's ~15 µs.
    private readonly HandoffGate _gate = new();
    private readonly Func<SimThread, long>? _body;
    private readonly ResumableBody? _steps;
    private HostThread? _host;
    private bool _stepped;

    /// <summary>No host thread may use the port (the thread does not hold the CPU). No host thread has this id.</summary>
    internal const int NoHolder = -1;

    // The managed id of the host thread allowed to use this thread's port right now: its own host thread while it
    // holds the CPU, else NoHolder. The scheduler sets it at every dispatch; every access compares against it.
    internal int CpuHolderId = NoHolder;

    // On a simulated thread's own host thread, that host thread's managed id; 0 on every other host thread. Reading it
    // is one inlined thread-local load, where Environment.CurrentManagedThreadId is a call: this is the fast-path check.
    [ThreadStatic]
    private static int t_hostId;

    /// <summary>The calling host thread's id if it is a simulated thread's own host thread, else 0 (never a holder).</summary>
    internal static int CurrentHostId
    {
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        get => t_hostId;
    }

    internal SimThread(Kernel kernel, Process process, int tid, string name, int priority, Func<SimThread, long> body)
        : this(kernel, process, tid, name, priority, body, null)
    {
    }

    internal SimThread(Kernel kernel, Process process, int tid, string name, int priority, ResumableBody steps)
        : this(kernel, process, tid, name, priority, null, steps)
    {
    }

    private SimThread(Kernel kernel, Process process, int tid, string name, int priority, Func<SimThread, long>? body, ResumableBody? steps)
    {
        Kernel = kernel;
        Process = process;
        HomeProcess = process;
        Tid = tid;
        Name = name;
        Priority = priority;
        _body = body;
        _steps = steps;
        Space = process.AddressSpace;
        JoinWaiters = new WaitQueue($"join tid {tid}");
    }

    /// <summary>
    /// True for an inline thread: its body is a <see cref="ResumableBody"/> that the host thread holding the CPU runs,
    /// and it has no host thread of its own (docs/architecture.md, "Threads without host threads").
    /// </summary>
    public bool IsInline => _steps is not null;

    /// <summary>
    /// An inline thread parked inside the kernel (a blocking syscall, a switch inside a handler or an RPC call): its
    /// kernel frames hold its runner's host stack, so it resumes there, through its gate, like a host-threaded thread.
    /// </summary>
    internal bool Pinned { get; set; }

    /// <summary>The runner whose host thread runs (or last ran) this inline thread's step.</summary>
    internal CpuRunner? Runner { get; private set; }

    /// <summary>Set when this inline thread's last step has unwound to its runner: the thread is ending there.</summary>
    internal bool StepUnwound { get; private set; }

    /// <summary>The kernel this thread belongs to.</summary>
    public Kernel Kernel { get; }

    /// <summary>
    /// The process the thread acts for: its owner, or during an RPC call the callee, whose fault policy, syscalls and
    /// memory the service method uses (the thread migrates, as in CMRX). <see cref="HomeProcess"/> never changes.
    /// </summary>
    public Process Process { get; internal set; }

    /// <summary>The process that created the thread (and whose thread list holds it).</summary>
    public Process HomeProcess { get; }

    /// <summary>RPC calls this thread is running, outermost first (empty = none).</summary>
    internal List<Ipc.Rpc.CallFrame> RpcFrames { get; } = [];

    /// <summary>How deep in RPC calls the thread is (0 = running its own process's code).</summary>
    public int RpcDepth => RpcFrames.Count;

    /// <summary>Set when the callee of one of its RPC calls died: the thread unwinds to that call at its next kernel entry.</summary>
    internal bool RpcAborted { get; set; }

    /// <summary>Killed, or inside a call whose callee died: the thread must unwind at its next kernel entry.</summary>
    internal bool MustUnwind => Killed || RpcAborted;

    /// <summary>Thread id, unique in the kernel.</summary>
    public int Tid { get; }

    /// <summary>True for the thread a process (or its restart) began with: its return ends the process, like C's main.</summary>
    public bool IsMain { get; internal init; }

    /// <summary>A name for traces ("main", "worker-1").</summary>
    public string Name { get; }

    /// <summary>Scheduling priority (larger = more urgent) under the fixed-priority policy.</summary>
    public int Priority { get; }

    /// <summary>Where the scheduler has this thread.</summary>
    public SimThreadState State { get; internal set; }

    /// <summary>The exit code, once <see cref="State"/> is <see cref="SimThreadState.Exited"/>.</summary>
    public long ExitCode { get; internal set; }

    /// <summary>The memory this thread's loads and stores go through (the process's, or a grant view during RPC).</summary>
    public MemoryView Space { get; internal set; }

    /// <summary>Set when the kernel has ended this thread; it unwinds at its next kernel entry.</summary>
    public bool Killed { get; internal set; }

    /// <summary>What the thread waits for when blocked (for deadlock reports), else null.</summary>
    public string? WaitingFor { get; internal set; }

    /// <summary>User memory accesses made so far.</summary>
    public long Accesses { get; private set; }

    /// <summary>Instructions retired so far (maintained by CPU-backed program images; 0 for C# programs).</summary>
    public long InstructionsRetired { get; set; }

    /// <summary>
    /// A scheduling point reached by executing instructions (CPU images call it every
    /// <see cref="KernelConfig.InstructionsPerTick"/> instructions): one tick passes, the thread may be preempted,
    /// and pending handlers run.
    /// </summary>
    public void InstructionPoint() => Kernel.AccessPoint(this);

    /// <summary>
    /// <see cref="InstructionPoint"/> at the top level of an inline thread's <see cref="ResumableBody.Step"/> (no
    /// handler, RPC call or other kernel frame below it on the stack). True: the thread keeps the CPU and goes on. False:
    /// it was switched away and is suspended: the step must return at once, touching neither the kernel nor user
    /// memory; the next step continues right after this point. A host-threaded thread always gets true.
    /// </summary>
    public bool SuspendableInstructionPoint() => Kernel.AccessPoint(this, canSuspend: IsInline);

    // True while the current syscall's reads and writes of user memory go to IoRecord (only while the kernel traces):
    // a flag, not a reference to the record, since a reference store per syscall costs a GC write barrier.
    internal bool RecordingIo { get; set; }

    // User memory the current syscall read and wrote: IoRecord while RecordingIo, else null.
    internal UserIoRecord? SyscallIo => RecordingIo ? IoRecord : null;

    // The I/O buffer this thread reuses from syscall to syscall (made on its first traced syscall).
    internal UserIoRecord IoRecord => _ioRecord ??= new UserIoRecord();

    private UserIoRecord? _ioRecord;

    internal WaitQueue JoinWaiters { get; }

    internal WaitQueue? BlockedIn { get; set; }

    internal long WaitResult { get; set; }

    internal long SleepToken { get; set; }

    // Set when the lock this thread just took was released by a holder that ended (notifications, robust locks).
    internal bool LockOwnerDied { get; set; }

    // The process's handler count when this thread's current syscall began (pause returns at once if one ran since).
    internal long UpcallsSeenAtEntry { get; set; }

    // User accesses left before the next scheduling point; 0 forces the slow path (and the Killed check).
    internal long AccessBudget;

    /// <summary>Makes a syscall: number and six arguments in, one result out (negative = error).</summary>
    public long Syscall(long number, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0) =>
        Kernel.Syscall(this, number, a0, a1, a2, a3, a4, a5);

    /// <summary>
    /// The managed id of the host thread that runs this thread: its own (0 before it starts), or for an inline thread
    /// the runner the scheduler handed it to.
    /// </summary>
    internal int HostId { get; set; }

    /// <summary>
    /// Set when the kernel gave up on this thread's host thread (a runaway the watchdog stopped, a thread that swallowed
    /// its termination): the thread counts as exited, and its host thread must never touch the kernel again.
    /// </summary>
    internal bool Abandoned { get; set; }

    /// <summary>Set once the kernel threw <see cref="ThreadTerminatedException"/> at this killed thread.</summary>
    internal bool TerminationThrown { get; private set; }

    /// <summary>Kernel entries made after the termination was thrown (a few are cleanup; many are a swallowing loop).</summary>
    internal int EntriesAfterTermination { get; set; }

    /// <summary>How often the kernel refused this abandoned thread's own host thread.</summary>
    internal int AbandonedRefusals { get; set; }

    /// <summary>Abandoned while kernel frames (an RPC call, a handler) were on its host stack: it parks rather than unwinds.</summary>
    internal bool HeldKernelFrames { get; set; }

    /// <summary>Abandoned by the watchdog and not yet back in the kernel: its host thread still runs user code.</summary>
    internal volatile bool IsRunningAway;

    /// <summary>Came back after Dispose released it: its host thread is parked for good.</summary>
    internal volatile bool InGraveyard;

    /// <summary>
    /// Called by kernel code right after user code it called (a service method, a handler) returned: the host thread
    /// of an abandoned thread (the watchdog took the CPU meanwhile) must not go on into the kernel.
    /// </summary>
    internal void ReturnedFromUserCode()
    {
        if (Abandoned) throw new ThreadTerminatedException();
    }

    /// <summary>Waits up to <paramref name="timeout"/> for the host thread to end; true when it has.</summary>
    internal bool JoinHost(TimeSpan timeout) => _host is null || _host.Join(timeout);

    /// <summary>Loads bytes from user memory; a refused access is a fault handled by the process's policy.</summary>
    public void Load(ulong address, Span<byte> destination)
    {
        if (t_hostId != CpuHolderId) Kernel.RefuseForeignHost(this, "load", address, destination.Length);
        Count();
        if (!Space.TryRead(address, destination, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
    }

    /// <summary>Stores bytes to user memory; a refused access is a fault (and nothing is written).</summary>
    public void Store(ulong address, ReadOnlySpan<byte> source)
    {
        if (t_hostId != CpuHolderId) Kernel.RefuseForeignHost(this, "store", address, source.Length);
        Count();
        if (!Space.TryWrite(address, source, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
    }

    /// <summary>Loads a 64-bit value: the fast path, one TLB lookup on a hit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong LoadUInt64(ulong address)
    {
        // One compare: only the host thread that holds the CPU may use this port (docs/architecture.md).
        if (t_hostId != CpuHolderId) Kernel.RefuseForeignHost(this, "load", address, 8);
        Count();
        if (!Space.TryReadUInt64(address, out ulong value, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
        return value;
    }

    /// <summary>Stores a 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreUInt64(ulong address, ulong value)
    {
        if (t_hostId != CpuHolderId) Kernel.RefuseForeignHost(this, "store", address, 8);
        Count();
        if (!Space.TryWriteUInt64(address, value, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
    }

    /// <summary>
    /// Refuses, with <see cref="Scheduling.CpuNotHeldException"/> and a kernel report, a caller that is not the host
    /// thread holding the CPU for this thread. CPU images call it before each access they make without Load/Store.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CheckCpu(string what, ulong address, int length)
    {
        if (t_hostId != CpuHolderId) Kernel.RefuseForeignHost(this, what, address, length);
    }

    /// <summary>Counts one user access; every N accesses is a scheduling point (deterministic preemption).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountAccess()
    {
        if (t_hostId != CpuHolderId) Kernel.RefuseForeignHost(this, "counted access", 0, 0);
        Count();
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void Count()
    {
        Accesses++;
        if (--AccessBudget <= 0) Kernel.AccessPoint(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"tid {Tid} ({Process.Name}/{Name})";

    /// <summary>Marks the calling host thread as a runner of inline threads (its id passes the port check when it holds the CPU).</summary>
    internal static void BindHost(int hostId) => t_hostId = hostId;

    internal void StartHost()
    {
        // An inline thread has no host thread: a runner runs its steps once it is dispatched.
        if (IsInline) return;
        _host = new HostThread(HostMain, maxStackSize: 1 << 20) { IsBackground = true, Name = $"sim pid {Process.Pid} tid {Tid}" };
        HostId = _host.ManagedThreadId;
        Kernel.HostThreadStarted(this);
        _host.Start();
    }

    internal void Resume() => _gate.Open();

    internal void Park()
    {
        _gate.Wait();
        // Opened by Kernel.Dispose, not by a dispatch: unwind without touching the kernel.
        if (Kernel.IsDisposed) throw new ThreadTerminatedException();
        if (MustUnwind) throw Terminating();
    }

    /// <summary>
    /// The exception that unwinds the thread (<c>throw t.Terminating()</c>); a killed thread is marked, so that swallowing
    /// the exception can be detected.
    /// </summary>
    internal ThreadTerminatedException Terminating()
    {
        if (Killed) TerminationThrown = true;
        return new ThreadTerminatedException();
    }

    /// <summary>
    /// Parks an abandoned thread's host thread until <see cref="Kernel.Dispose"/>, then unwinds it. A parked host
    /// thread costs no CPU; the kernel no longer counts it as one of its threads.
    /// </summary>
    [DoesNotReturn]
    internal void ParkUntilDisposed()
    {
        _gate.Wait();
        throw new ThreadTerminatedException();
    }

    private void HostMain()
    {
        t_hostId = HostId;
        try
        {
            _gate.Wait();
            if (Kernel.IsDisposed) return; // never dispatched: the kernel was disposed before (or instead of) running
            RunBody();
        }
        finally
        {
            Kernel.HostThreadEnded(this);
        }
    }

    private void RunBody()
    {
        // A thread killed before it ever ran ends with the code its killer gave it (the process's status), not 0.
        long code = ExitCode;
        bool returned = false;
        try
        {
            if (!Killed)
            {
                code = _body!(this);
                returned = true;
            }
        }
        catch (Exception e)
        {
            code = Ending(e);
        }
        Finish(code, returned);
    }

    /// <summary>
    /// Runs one step of this inline thread on <paramref name="runner"/>'s host thread, which holds the CPU for it: the
    /// first step starts the body; a later one first finishes the scheduling point the thread was suspended at. When the
    /// thread ends (returned, killed, faulted) it is finished here, as <see cref="RunBody"/> finishes a host-threaded one.
    /// </summary>
    internal void RunStep(CpuRunner runner)
    {
        Runner = runner;
        long code = ExitCode; // as in RunBody: a thread killed before its first step ends with its killer's code
        bool returned = false;
        try
        {
            bool first = !_stepped;
            _stepped = true;
            // Never dispatched before and already killed: it ends without running, as a host-threaded one does.
            if (!first || !Killed)
            {
                if (!first) Kernel.ResumeAtSchedulingPoint(this);
                if (!_steps!.Step(this, out code)) return; // suspended: another thread holds the CPU now
                returned = true;
            }
        }
        catch (Exception e)
        {
            code = Ending(e);
        }
        _steps!.Ended(this);
        StepUnwound = true;
        Finish(code, returned);
    }

    // How an exception that left the body ends the thread: its exit code.
    private long Ending(Exception e)
    {
        switch (e)
        {
            case ThreadTerminatedException:
                return ExitCode;
            case UserCodeException u:
                // The program's own code threw (its image marked it): that process's fault.
                return Abandoned || Kernel.IsDisposed ? ExitCode : Kernel.UserCrashed(this, u.Thrown);
            default:
                // Anything else came from the kernel or the image's machinery (an interpreter, a loader): a panic.
                if (!Abandoned && !Kernel.IsDisposed) Kernel.Panic(this, e);
                return ExitCode;
        }
    }

    private void Finish(long code, bool returned)
    {
        // The kernel already counted an abandoned thread out (watchdog, swallowed termination) or was disposed.
        if (Abandoned || Kernel.IsDisposed) return;
        if (returned && TerminationThrown)
        {
            // It caught its termination and returned normally: it ends as killed, not with its return value.
            Kernel.ReportSwallowedTermination(this, "caught ThreadTerminatedException and returned normally");
            code = ExitCode;
            returned = false;
        }
        Kernel.ThreadFinished(this, code, mainReturned: returned && IsMain);
    }
}
