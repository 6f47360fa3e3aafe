using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using HostThread = System.Threading.Thread;

namespace MicroKernel.Processes;

/// <summary>
/// A simulated thread (a thread control block). Each one runs on its own managed host thread, but only the one the
/// scheduler dispatched runs; the others are parked on their <see cref="_gate"/>. User code reaches the kernel only
/// through <see cref="Syscall"/> and the load/store methods here, which go through the process's protection unit.
/// </summary>
public sealed class SimThread
{
    // The handoff: the running thread opens the next one's gate and waits on its own. The gate spins briefly
    // before it parks, so a switch costs a fraction of a microsecond instead of an OS wake-up's ~15 µs.
    private readonly HandoffGate _gate = new();
    private readonly Func<SimThread, long> _body;
    private HostThread? _host;

    internal SimThread(Kernel kernel, Process process, int tid, string name, int priority, Func<SimThread, long> body)
    {
        Kernel = kernel;
        Process = process;
        HomeProcess = process;
        Tid = tid;
        Name = name;
        Priority = priority;
        _body = body;
        Space = process.AddressSpace;
        JoinWaiters = new WaitQueue($"join tid {tid}");
    }

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

    // User memory the current syscall read and wrote, collected only while the kernel is tracing (then IoRecord).
    internal UserIoRecord? SyscallIo { get; set; }

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

    /// <summary>Loads bytes from user memory; a refused access is a fault handled by the process's policy.</summary>
    public void Load(ulong address, Span<byte> destination)
    {
        CountAccess();
        if (!Space.TryRead(address, destination, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
    }

    /// <summary>Stores bytes to user memory; a refused access is a fault (and nothing is written).</summary>
    public void Store(ulong address, ReadOnlySpan<byte> source)
    {
        CountAccess();
        if (!Space.TryWrite(address, source, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
    }

    /// <summary>Loads a 64-bit value: the fast path, one TLB lookup on a hit.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong LoadUInt64(ulong address)
    {
        CountAccess();
        if (!Space.TryReadUInt64(address, out ulong value, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
        return value;
    }

    /// <summary>Stores a 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void StoreUInt64(ulong address, ulong value)
    {
        CountAccess();
        if (!Space.TryWriteUInt64(address, value, out MemoryFault fault)) Kernel.RaiseFault(this, fault);
    }

    /// <summary>Counts one user access; every N accesses is a scheduling point (deterministic preemption).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void CountAccess()
    {
        Accesses++;
        if (--AccessBudget <= 0) Kernel.AccessPoint(this);
    }

    /// <inheritdoc />
    public override string ToString() => $"tid {Tid} ({Process.Name}/{Name})";

    internal void StartHost()
    {
        _host = new HostThread(HostMain, maxStackSize: 1 << 20) { IsBackground = true, Name = $"sim pid {Process.Pid} tid {Tid}" };
        _host.Start();
    }

    internal void Resume() => _gate.Open();

    internal void Park()
    {
        _gate.Wait();
        if (MustUnwind) throw new ThreadTerminatedException();
    }

    private void HostMain()
    {
        _gate.Wait();
        long code = 0;
        bool returned = false;
        try
        {
            if (!Killed)
            {
                code = _body(this);
                returned = true;
            }
        }
        catch (ThreadTerminatedException)
        {
            code = ExitCode;
        }
        catch (UserCodeException e)
        {
            // The program's own code threw (its image marked it): that process's fault.
            code = Kernel.UserCrashed(this, e.Thrown);
        }
        catch (Exception e)
        {
            // Anything else came from the kernel or the image's machinery (an interpreter, a loader): a panic.
            Kernel.Panic(this, e);
            code = ExitCode;
        }
        Kernel.ThreadFinished(this, code, mainReturned: returned && IsMain);
    }
}
