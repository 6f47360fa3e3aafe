using System.Diagnostics.CodeAnalysis;
using System.Text;
using MicroKernel.Ipc.Notify;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// What a C# program's thread sees of the system: syscall wrappers and typed user memory. Every wrapper calls
/// <see cref="Syscall"/>, the same ABI x86 programs use (number + six 64-bit arguments -> one result), and throws
/// <see cref="SyscallException"/> on an error result.
/// </summary>
public sealed class Sys
{
    [ThreadStatic, HostState("which Sys the code on this host thread acts for: set on entry to a thread body, handler or RPC method and restored on exit, never a value one process leaves for another")]
    private static Sys? t_current;
    // The simulated thread this view belongs to: private, so a program holds only its port (docs/architecture.md).
    private readonly SimThread _thread;
    private readonly ProcessRuntime _runtime;
    private ulong _scratch;

    /// <summary>
    /// The Sys of the code running on this host thread now: a thread body, a handler, or an RPC service method
    /// (then the callee's view). <see cref="Rpc"/> uses it; null outside simulated threads.
    /// </summary>
    public static Sys? Current => t_current;

    internal static Sys? Enter(Sys sys)
    {
        Sys? outer = t_current;
        t_current = sys;
        return outer;
    }

    internal static void Leave(Sys? outer) => t_current = outer;

    internal ulong RegisterEntry(object body) => _runtime.RegisterEntry(body);

    // This thread's console scratch slot (256 bytes of the runtime area in user memory), taken on first use.
    internal ulong Scratch(SyscallNumber forSyscall)
    {
        if (_scratch == 0) _scratch = _runtime.TakeSlotOrThrow(forSyscall);
        return _scratch;
    }

    internal Sys(SimThread thread, ProcessRuntime runtime)
    {
        _thread = thread;
        _runtime = runtime;
        Memory = new UserMemory(thread);
    }

    /// <summary>Typed access to user memory.</summary>
    public UserMemory Memory { get; }

    /// <summary>The arguments the process was spawned with (argv[1..] of its startup block, read once).</summary>
    public IReadOnlyList<string> Args => _runtime.Args(Memory);

    /// <summary>
    /// How many times a supervisor restarted this process (0 at spawn): the generation word of the startup block
    /// the loader wrote into this load's memory.
    /// </summary>
    public long Generation => _runtime.Generation(Memory);

    /// <summary>The raw syscall: returns the kernel's result unchanged (negative = <see cref="ErrorCode"/>).</summary>
    public long Syscall(SyscallNumber number, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0) =>
        _thread.Syscall((long)number, a0, a1, a2, a3, a4, a5);

    /// <summary>This process's id.</summary>
    public int Pid => (int)Checked(SyscallNumber.GetPid, Syscall(SyscallNumber.GetPid));

    /// <summary>This thread's id.</summary>
    public int Tid => (int)Checked(SyscallNumber.GetTid, Syscall(SyscallNumber.GetTid));

    /// <summary>Virtual time in ticks.</summary>
    public long Time => Syscall(SyscallNumber.Time);

    /// <summary>Ends the process with <paramref name="code"/>.</summary>
    [DoesNotReturn]
    public void Exit(long code)
    {
        Syscall(SyscallNumber.Exit, (ulong)code);
        throw new InvalidOperationException("exit returned");
    }

    /// <summary>Ends this thread only.</summary>
    [DoesNotReturn]
    public void ExitThread(long code)
    {
        Syscall(SyscallNumber.ThreadExit, (ulong)code);
        throw new InvalidOperationException("thread_exit returned");
    }

    /// <summary>Gives the CPU to another ready thread.</summary>
    public void Yield() => Syscall(SyscallNumber.Yield);

    /// <summary>Sleeps <paramref name="ticks"/> virtual ticks.</summary>
    public void Sleep(long ticks) => Checked(SyscallNumber.Sleep, Syscall(SyscallNumber.Sleep, (ulong)ticks));

    /// <summary>Starts a thread of this process running <paramref name="body"/>(sys, arg); returns its tid.</summary>
    public int CreateThread(Func<Sys, ulong, long> body, ulong argument = 0)
    {
        ulong entry = _runtime.RegisterEntry(body);
        return (int)Checked(SyscallNumber.ThreadCreate, Syscall(SyscallNumber.ThreadCreate, entry, argument));
    }

    /// <summary>Waits for thread <paramref name="tid"/> to end; returns its exit code.</summary>
    public long Join(int tid)
    {
        long r = Syscall(SyscallNumber.ThreadJoin, (ulong)tid);
        // Exit codes may be negative; only the documented error values are errors here.
        return r is < 0 and >= (long)ErrorCode.PeerFaulted && Enum.IsDefined((ErrorCode)r) && ThreadFailed(tid, r) ? Checked(SyscallNumber.ThreadJoin, r) : r;
    }

    /// <summary>Maps zeroed memory; returns its address (the kernel picks it unless <paramref name="address"/> is given).</summary>
    public ulong Map(ulong length, Protection protection = Protection.ReadWrite, ulong address = 0) =>
        (ulong)Checked(SyscallNumber.Map, Syscall(SyscallNumber.Map, address, length, (ulong)protection));

    /// <summary>
    /// Maps zeroed memory with <paramref name="flags"/> (<see cref="MapFlags.LargePages"/>: 2 MiB pages, paging only;
    /// the length is rounded up to 2 MiB and a given address must be 2 MiB-aligned).
    /// </summary>
    public ulong Map(ulong length, Protection protection, MapFlags flags, ulong address = 0) =>
        (ulong)Checked(SyscallNumber.Map, Syscall(SyscallNumber.Map, address, length, (ulong)protection | (ulong)flags));

    /// <summary>Unmaps pages.</summary>
    public void Unmap(ulong address, ulong length) => Checked(SyscallNumber.Unmap, Syscall(SyscallNumber.Unmap, address, length));

    /// <summary>Changes the protection of pages.</summary>
    public void Protect(ulong address, ulong length, Protection protection) =>
        Checked(SyscallNumber.Protect, Syscall(SyscallNumber.Protect, address, length, (ulong)protection));

    /// <summary>
    /// Binds <paramref name="handler"/> to message <paramref name="type"/> (replacing any earlier one). It runs on one of
    /// this process's threads like a signal when a message arrives; return true to accept the pages, false to abandon.
    /// </summary>
    public void RegisterHandler(ulong type, Func<Sys, PageMessage, bool> handler)
    {
        ulong entry = _runtime.RegisterEntry(handler);
        Checked(SyscallNumber.RegisterHandler, Syscall(SyscallNumber.RegisterHandler, type, entry));
    }

    /// <summary>Removes the handler of <paramref name="type"/>: later sends of that type fail with NoHandler.</summary>
    public void RemoveHandler(ulong type) => Checked(SyscallNumber.RegisterHandler, Syscall(SyscallNumber.RegisterHandler, type, 0));

    /// <summary>Sends <paramref name="pages"/> pages at <paramref name="address"/>; returns how many processes got them.</summary>
    public int Send(int pid, ulong type, ulong address, ulong pages, Ipc.PageSend.SendFlags flags = Ipc.PageSend.SendFlags.None) =>
        (int)Checked(SyscallNumber.Send, Syscall(SyscallNumber.Send, (ulong)pid, type, address, pages, (ulong)flags));

    /// <summary>Waits until a handler has run in this process (true) or <paramref name="ticks"/> pass (false; 0 = no limit).</summary>
    public bool Pause(long ticks = 0)
    {
        long r = Syscall(SyscallNumber.Pause, (ulong)ticks);
        if (r == (long)ErrorCode.TimedOut) return false;
        Checked(SyscallNumber.Pause, r);
        return true;
    }

    /// <summary>shm_connect: the shared-memory connection between this process and <paramref name="pid"/> (both sides get the same id).</summary>
    public int ShmConnect(int pid) => (int)Checked(SyscallNumber.ShmConnect, Syscall(SyscallNumber.ShmConnect, (ulong)pid));

    /// <summary>shm_create: a new segment on <paramref name="connection"/>, owned by this process; returns its id (<see cref="Shmem.Create"/> wraps it).</summary>
    public int ShmCreate(int connection, ulong size, Ipc.Shmem.ShmemFlags flags = Ipc.Shmem.ShmemFlags.None) =>
        (int)Checked(SyscallNumber.ShmCreate, Syscall(SyscallNumber.ShmCreate, (ulong)connection, size, (ulong)flags));

    /// <summary>shm_address: where <paramref name="segment"/> is mapped in this process.</summary>
    public ulong ShmAddress(int segment) => (ulong)Checked(SyscallNumber.ShmAddress, Syscall(SyscallNumber.ShmAddress, (ulong)segment));

    /// <summary>shm_send: gives <paramref name="segment"/> to the peer's segment handler; this process loses access now.</summary>
    public void ShmSend(int segment, ulong type) => Checked(SyscallNumber.ShmSend, Syscall(SyscallNumber.ShmSend, (ulong)segment, type));

    /// <summary>shm_call: lends <paramref name="segment"/> to the peer's handler and waits for it to come back; returns the handler's result.</summary>
    public long ShmCall(int segment, ulong type) => Checked(SyscallNumber.ShmCall, Syscall(SyscallNumber.ShmCall, (ulong)segment, type));

    /// <summary>shm_destroy: unmaps <paramref name="segment"/> from both processes and frees it (owner only).</summary>
    public void ShmDestroy(int segment) => Checked(SyscallNumber.ShmDestroy, Syscall(SyscallNumber.ShmDestroy, (ulong)segment));

    /// <summary>shm_close: closes <paramref name="connection"/>; every segment it carried is unmapped from both sides and freed.</summary>
    public void ShmClose(int connection) => Checked(SyscallNumber.ShmClose, Syscall(SyscallNumber.ShmClose, (ulong)connection));

    /// <summary>
    /// Binds <paramref name="handler"/> as this process's segment handler: it runs like a signal on one of its threads
    /// when the peer sends or lends a segment. Its result is the reply of a call (never below 0); for a send it is only
    /// recorded.
    /// </summary>
    public void RegisterSegmentHandler(Func<Sys, SegmentMessage, long> handler)
    {
        ulong entry = _runtime.RegisterEntry(handler);
        Checked(SyscallNumber.ShmHandler, Syscall(SyscallNumber.ShmHandler, entry));
    }

    /// <summary>
    /// Creates a notification object (a <paramref name="name"/> makes it public, null keeps it private to this
    /// process), or with <see cref="NotifyFlags.Open"/> opens the public one of that name. Returns its handle.
    /// </summary>
    public int NotifyCreate(string? name, NotifyFlags flags = NotifyFlags.None)
    {
        long r = RawNotifyCreate(name, flags);
        return (int)Checked(SyscallNumber.NotifyCreate, r);
    }

    /// <summary>notify_create with the raw result (negative = <see cref="ErrorCode"/>), for callers that expect errors.</summary>
    public long RawNotifyCreate(string? name, NotifyFlags flags = NotifyFlags.None)
    {
        if (name is null) return Syscall(SyscallNumber.NotifyCreate, 0, 0, (ulong)flags);
        byte[] bytes = Encoding.ASCII.GetBytes(name);
        if (bytes.Length > ProcessRuntime.SlotSize) return (long)ErrorCode.InvalidArgument;
        return Syscall(SyscallNumber.NotifyCreate, Scratch(bytes), (ulong)bytes.Length, (ulong)flags);
    }

    /// <summary>Adds <paramref name="count"/> to a notification object; returns how many waiting threads woke.</summary>
    public long Notify(int handle, long count = 1) => Checked(SyscallNumber.Notify, Syscall(SyscallNumber.Notify, (ulong)handle, (ulong)count));

    /// <summary>
    /// Consumes one notify of <paramref name="handle"/>, waiting up to <paramref name="timeout"/> ticks (0 = poll,
    /// <see cref="NotifyLimits.Forever"/> = -1 = no limit). False when it timed out (or, polling, nothing was pending).
    /// </summary>
    public bool Wait(int handle, long timeout = -1)
    {
        long r = Syscall(SyscallNumber.Wait, (ulong)handle, (ulong)timeout);
        if (r is (long)ErrorCode.TimedOut or (long)ErrorCode.WouldBlock) return false;
        Checked(SyscallNumber.Wait, r);
        return true;
    }

    /// <summary>
    /// Waits on several notification objects at once; returns the index in <paramref name="handles"/> of the one whose
    /// notify it consumed (the lowest index when several are pending), or -1 when it timed out.
    /// </summary>
    public int WaitAny(ReadOnlySpan<int> handles, long timeout = -1)
    {
        long r = RawWaitAny(handles, timeout);
        if (r is (long)ErrorCode.TimedOut or (long)ErrorCode.WouldBlock) return -1;
        return (int)Checked(SyscallNumber.WaitAny, r);
    }

    /// <summary>wait_any with the raw result: the index, or a negative <see cref="ErrorCode"/> (ObjectClosed, TimedOut...).</summary>
    public long RawWaitAny(ReadOnlySpan<int> handles, long timeout = -1)
    {
        if (handles.Length > ProcessRuntime.SlotSize / 8) return (long)ErrorCode.InvalidArgument;
        var bytes = new byte[handles.Length * 8];
        for (int i = 0; i < handles.Length; i++) BitConverter.TryWriteBytes(bytes.AsSpan(i * 8), (ulong)handles[i]);
        return Syscall(SyscallNumber.WaitAny, Scratch(bytes), (ulong)handles.Length, (ulong)timeout);
    }

    /// <summary>Closes a notification handle (the owner's close destroys the object: its waiters get ObjectClosed).</summary>
    public void NotifyClose(int handle) => Checked(SyscallNumber.NotifyClose, Syscall(SyscallNumber.NotifyClose, (ulong)handle));

    /// <summary>Writes <paramref name="text"/> to the console: copied into user memory, then the write syscall.</summary>
    public void Print(string text)
    {
        Scratch(SyscallNumber.Write);
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        for (int offset = 0; offset < bytes.Length; offset += ProcessRuntime.SlotSize)
        {
            int n = Math.Min(ProcessRuntime.SlotSize, bytes.Length - offset);
            Memory.Write(_scratch, bytes.AsSpan(offset, n));
            Checked(SyscallNumber.Write, Syscall(SyscallNumber.Write, _scratch, (ulong)n));
        }
    }

    /// <summary>
    /// Annotates the trace with <paramref name="mark"/> (trace_mark, at most 128 bytes, docs/syscalls.md): the kernel
    /// only records it. Returns the raw result (0, or a negative <see cref="ErrorCode"/>).
    /// </summary>
    public long TraceMark(ReadOnlySpan<byte> mark) =>
        mark.Length > ProcessRuntime.SlotSize ? (long)ErrorCode.InvalidArgument
        : Syscall(SyscallNumber.TraceMark, Scratch(mark), (ulong)mark.Length);

    /// <summary>Writes a line to the console.</summary>
    public void PrintLine(string text) => Print(text + "\n");

    // Copies syscall input (a name, a handle array) into this thread's scratch slot; returns its user address.
    private ulong Scratch(ReadOnlySpan<byte> bytes)
    {
        ulong slot = Scratch(SyscallNumber.Map);
        if (bytes.Length > 0) Memory.Write(slot, bytes);
        return slot;
    }

    internal void ReleaseScratch()
    {
        if (_scratch == 0) return;
        _runtime.ReturnSlot(_scratch);
        _scratch = 0;
    }

    // A join result in the error range is an error only if the target did not really exit with that code.
    private static bool ThreadFailed(int tid, long result) => result is (long)ErrorCode.NoSuchThread or (long)ErrorCode.NotPermitted && tid >= 0;

    internal static long Checked(SyscallNumber number, long result) =>
        result < 0 ? throw new SyscallException(number, (ErrorCode)result) : result;
}
