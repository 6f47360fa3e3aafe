using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Syscalls;

/// <summary>
/// The first syscalls: process and thread life, anonymous memory, sleep and the console. Each handler validates
/// every argument before it changes anything; docs/syscalls.md lists them with their errors.
/// </summary>
internal static class CoreSyscalls
{
    private const ArgFormat I = ArgFormat.Int, H = ArgFormat.Hex, P = ArgFormat.Prot;

    /// <summary>Longest sleep accepted, in ticks (beyond it the argument is surely a bug).</summary>
    public const ulong MaxSleepTicks = 1UL << 40;

    // Each entry's Errors are the errors docs/syscalls.md documents for it (a test checks that both agree): what a
    // fault rule's error= may name.
    public static void Register(Kernel k)
    {
        SyscallTable t = k.Syscalls;
        t.Register(new((long)SyscallNumber.Exit, "exit", [("code", I)], (SimThread c, in SyscallArgs a) => Exit(k, c, (long)a.A0)));
        t.Register(new((long)SyscallNumber.Yield, "yield", [], (SimThread c, in SyscallArgs a) => { k.Scheduler.Yield(c); return 0; })
        { Writes = CheckedState.None, CopiesUserMemory = false });
        t.Register(new((long)SyscallNumber.GetPid, "getpid", [], (SimThread c, in SyscallArgs a) => c.Process.Pid) { Writes = CheckedState.None, CopiesUserMemory = false });
        t.Register(new((long)SyscallNumber.GetTid, "gettid", [], (SimThread c, in SyscallArgs a) => c.Tid) { Writes = CheckedState.None, CopiesUserMemory = false });
        t.Register(new((long)SyscallNumber.ThreadCreate, "thread_create", [("entry", H), ("arg", H), ("stack_top", H)],
            (SimThread c, in SyscallArgs a) => ThreadCreate(k, c, a.A0, a.A1, a.A2))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadAddress, ErrorCode.LimitReached] });
        t.Register(new((long)SyscallNumber.ThreadJoin, "thread_join", [("tid", I)], (SimThread c, in SyscallArgs a) => ThreadJoin(k, c, a.A0))
        { Errors = [ErrorCode.NotPermitted, ErrorCode.NoSuchThread] });
        t.Register(new((long)SyscallNumber.ThreadExit, "thread_exit", [("code", I)], (SimThread c, in SyscallArgs a) => ThreadExit(c, (long)a.A0))
        { Errors = [ErrorCode.NotPermitted] });
        t.Register(new((long)SyscallNumber.Map, "map", [("addr", H), ("length", I), ("prot", P)], (SimThread c, in SyscallArgs a) => Map(c, a.A0, a.A1, a.A2), H)
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.Misaligned, ErrorCode.BadAddress, ErrorCode.AlreadyMapped, ErrorCode.OutOfMemory, ErrorCode.NoMpuRegion] });
        t.Register(new((long)SyscallNumber.Unmap, "unmap", [("addr", H), ("length", I)],
            (SimThread c, in SyscallArgs a) => (long)c.Process.AddressSpace.Unmap(a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.Misaligned, ErrorCode.BadAddress, ErrorCode.NotMapped, ErrorCode.NotPermitted] });
        t.Register(new((long)SyscallNumber.Protect, "protect", [("addr", H), ("length", I), ("prot", P)], (SimThread c, in SyscallArgs a) => Protect(c, a.A0, a.A1, a.A2))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.Misaligned, ErrorCode.BadAddress, ErrorCode.NotMapped, ErrorCode.NotPermitted] });
        t.Register(new((long)SyscallNumber.Sleep, "sleep", [("ticks", I)], (SimThread c, in SyscallArgs a) => Sleep(k, c, a.A0))
        { Errors = [ErrorCode.InvalidArgument] });
        t.Register(new((long)SyscallNumber.Write, "write", [("buf", H), ("length", I)], (SimThread c, in SyscallArgs a) => Write(k, c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadAddress] });
        t.Register(new((long)SyscallNumber.Time, "time", [], (SimThread c, in SyscallArgs a) => k.Scheduler.Now) { CopiesUserMemory = false });
        TraceMarkSyscall.Register(k);
    }

    private static long Exit(Kernel k, SimThread caller, long code)
    {
        caller.ExitCode = code;
        k.KillProcess(caller.Process, code);
        throw caller.Terminating();
    }

    private static long ThreadExit(SimThread caller, long code)
    {
        // The thread belongs to the caller of the RPC: a service method may not end it.
        if (caller.RpcDepth > 0) return (long)ErrorCode.NotPermitted;
        caller.ExitCode = code;
        throw new ThreadTerminatedException();
    }

    private static long ThreadCreate(Kernel k, SimThread caller, ulong entry, ulong arg, ulong stackTop)
    {
        Process p = caller.Process;
        if (!p.Image.IsValidEntry(p, entry, EntryKind.Thread)) return (long)ErrorCode.InvalidArgument;
        if (stackTop != 0 && !p.AddressSpace.CheckRange(stackTop - 8, 8, AccessKind.Write, out _)) return (long)ErrorCode.BadAddress;
        if (p.ThreadList.Count >= k.Config.MaxThreadsPerProcess) return (long)ErrorCode.LimitReached;
        SimThread t = k.CreateThread(p, $"thread-{p.ThreadList.Count}", caller.Priority, entry, arg, stackTop);
        return t.Tid;
    }

    private static long ThreadJoin(Kernel k, SimThread caller, ulong tidArg)
    {
        if (tidArg > int.MaxValue) return (long)ErrorCode.NoSuchThread;
        int tid = (int)tidArg;
        if (tid == caller.Tid) return (long)ErrorCode.NotPermitted;
        Process p = caller.Process;
        if (p.ExitedThreadCodes.TryGetValue(tid, out long code)) return code;
        SimThread? target = p.ThreadList.FirstOrDefault(t => t.Tid == tid);
        return target is null ? (long)ErrorCode.NoSuchThread : k.Scheduler.Block(caller, target.JoinWaiters);
    }

    private static long Map(SimThread caller, ulong addr, ulong length, ulong prot)
    {
        // Bits above rwx are map flags (MapFlags.LargePages, 0x100): any other bit is an error.
        var flags = (MapFlags)(prot & ~(ulong)ProtectionExtensions.All);
        if ((flags & ~MapFlags.LargePages) != 0) return (long)ErrorCode.InvalidArgument;
        ErrorCode e = caller.Process.AddressSpace.Map(addr, length, (Protection)(prot & (ulong)ProtectionExtensions.All), flags, flags == MapFlags.None ? "anon" : "anon_hugepage", out ulong mapped);
        return e == ErrorCode.Ok ? (long)mapped : (long)e;
    }

    private static long Protect(SimThread caller, ulong addr, ulong length, ulong prot)
    {
        if (prot > (ulong)ProtectionExtensions.All) return (long)ErrorCode.InvalidArgument;
        return (long)caller.Process.AddressSpace.Protect(addr, length, (Protection)prot);
    }

    private static long Sleep(Kernel k, SimThread caller, ulong ticks)
    {
        if (ticks > MaxSleepTicks) return (long)ErrorCode.InvalidArgument;
        if (ticks > 0) k.Scheduler.SleepUntil(caller, k.Scheduler.Now + (long)ticks);
        return 0;
    }

    private static long Write(Kernel k, SimThread caller, ulong buffer, ulong length)
    {
        if (length > (ulong)k.Config.MaxWriteBytes) return (long)ErrorCode.InvalidArgument;
        if (length == 0) return 0;
        var bytes = new byte[length];
        if (!k.CopyFromUser(caller, buffer, bytes)) return (long)ErrorCode.BadAddress;
        string text = Encoding.UTF8.GetString(bytes);
        k.ConsoleOutput.Append(text);
        k.Emit(new KernelEvent { Pid = caller.Process.Pid, Tid = caller.Tid, Kind = EventKind.Console, Text = text });
        return (long)length;
    }
}
