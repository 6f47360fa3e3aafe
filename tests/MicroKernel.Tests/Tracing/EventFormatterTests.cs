using MicroKernel.Hardware;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Ipc.Shmem;
using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The strace-like line of each event kind (<see cref="EventFormatter"/>: `mk trace show`, the run account, test
/// failure messages), word for word: who (kernel, process, thread), what, and each argument format of a syscall line.
/// </summary>
public class EventFormatterTests
{
    private static readonly EventFormatter Formatter = new(new Kernel(new KernelConfig { Frames = 16 }).Syscalls);

    private static string Line(KernelEvent e) => Formatter.Format(e);

    private static KernelEvent Exit(SyscallNumber n, long result, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0, ulong a3 = 0, ulong a4 = 0, ulong a5 = 0) =>
        new() { Kind = EventKind.SyscallExit, Code = (long)n, A0 = a0, A1 = a1, A2 = a2, A3 = a3, A4 = a4, A5 = a5, Result = result };

    [Fact]
    public void A_line_is_the_tick_then_who_then_what_in_fixed_columns()
    {
        Line(new KernelEvent { Tick = 42, Pid = 3, Tid = 4, Kind = EventKind.ThreadExit, Code = 7 })
            .ShouldBe("     42 [pid 3 tid 4]      thread exit, code 7");
        Line(new KernelEvent { Tick = 5, Pid = 3, Kind = EventKind.ProcessExit, Code = 137 })
            .ShouldBe("      5 [pid 3]            process exit, status 137");
        Line(new KernelEvent { Tick = 1234567, Kind = EventKind.Idle, A0 = 50 })
            .ShouldBe("1234567 [kernel]           idle: all threads sleep, time jumps to tick 50");
    }

    [Fact]
    public void Each_kind_of_event_reads_as_documented()
    {
        string What(KernelEvent e) => Line(e with { Pid = 1, Tid = 1 })[27..];
        What(new() { Kind = EventKind.ProcessStart, Text = "init" }).ShouldBe("process start \"init\"");
        What(new() { Kind = EventKind.ThreadStart, Text = "main", A0 = 0x400000 }).ShouldBe("thread start \"main\" at 0x400000");
        What(new() { Kind = EventKind.SyscallEnter, Code = (long)SyscallNumber.Map }).ShouldBe("map(...) entered");
        What(new() { Kind = EventKind.SyscallEnter, Code = 999 }).ShouldBe("syscall_999(...) entered");
        What(new() { Kind = EventKind.Fault, Code = (long)FaultReason.ReadOnly, A0 = 0x1000, A1 = (ulong)AccessKind.Write })
            .ShouldBe("FAULT ReadOnly on write at 0x1000");
        What(new() { Kind = EventKind.Fault, Code = (long)FaultReason.NotPresent, A0 = 0x2000, A1 = (ulong)AccessKind.Execute, Text = "guard page" })
            .ShouldBe("FAULT NotPresent on execute at 0x2000 (guard page)");
        What(new() { Kind = EventKind.Switch, A0 = 2, A1 = 1, Text = "yield" }).ShouldBe("switch -> tid 2 (pid 1): yield");
        What(new() { Kind = EventKind.Console, Text = "a\\b\n\"q\"" }).ShouldBe("console: \"a\\\\b\\n\\\"q\\\"\"");
        What(new() { Kind = EventKind.Console }).ShouldBe("console: \"\"");
        What(new() { Kind = EventKind.Deadlock, Text = "deadlock:\ntid 1 waits" }).ShouldBe("deadlock:\n" + new string(' ', 17) + "tid 1 waits");
        What(new() { Kind = EventKind.Deadlock }).ShouldBe("deadlock");
        What(new() { Kind = EventKind.TickLimit }).ShouldBe("tick limit");
        What(new() { Kind = EventKind.TickLimit, Text = "tick limit 100 reached" }).ShouldBe("tick limit 100 reached");
        What(new() { Kind = EventKind.Restart, Code = 2 }).ShouldBe("restarted by its fault policy (restart 2)");
        What(new() { Kind = EventKind.Notify, A0 = 1, A1 = 2, A2 = 1, Result = 1 }).ShouldBe("notify object #1 +2: woke 1, 1 pending");
        What(new() { Kind = EventKind.Panic, Text = "boom" }).ShouldBe("KERNEL PANIC: boom");
        What(new() { Kind = EventKind.Inject, Text = "syscall map #2 -> OutOfMemory" }).ShouldBe("INJECT syscall map #2 -> OutOfMemory");
        What(new() { Kind = EventKind.Wake, A0 = 3, A1 = 1, A2 = 2, A3 = 5, Code = 1 }).ShouldBe("woken by object #3 (index 1) from pid 2 tid 5: 1");
        What(new() { Kind = EventKind.Wake, A0 = 3, A1 = 0, Code = (long)ErrorCode.ObjectClosed })
            .ShouldBe($"woken by object #3 (index 0) from its owner's exit: {(long)ErrorCode.ObjectClosed} ObjectClosed");
        What(new() { Kind = (EventKind)99 }).ShouldBe("99");
    }

    [Fact]
    public void Deliveries_and_upcalls_read_differently_for_page_messages_and_segments()
    {
        string What(KernelEvent e) => Line(e with { Pid = 1, Tid = 1 })[27..];
        ulong flags = (ulong)SendFlags.Duplicate;
        string described = SendFlagBits.Describe(flags);
        What(new() { Kind = EventKind.Delivery, Code = 7, A0 = 2, A1 = 0x3000, A2 = 1, A3 = flags, Result = 1 })
            .ShouldBe($"handler for type 7 from pid 2: 1 pages at 0x3000 {described}: accepted");
        What(new() { Kind = EventKind.Delivery, Code = 7, A0 = 2, A1 = 0x3000, A2 = 1, A3 = flags, Result = 0 })
            .ShouldBe($"handler for type 7 from pid 2: 1 pages at 0x3000 {described}: abandoned");
        What(new() { Kind = EventKind.Delivery, Code = 7, A0 = 2, A1 = 0x3000, A2 = 1, A3 = flags, Result = (long)ErrorCode.OutOfMemory })
            .ShouldBe($"handler for type 7 from pid 2: 1 pages at 0x3000 {described}: not delivered ({(long)ErrorCode.OutOfMemory} OutOfMemory)");
        What(new() { Kind = EventKind.Upcall, Code = 7, A0 = 2, A1 = 0x3000, A2 = 2, A4 = 0x400020 })
            .ShouldBe("handler for type 7 from pid 2 starts at 0x400020: 2 pages at 0x3000");
        What(new() { Kind = EventKind.Delivery, Code = 5, A0 = 2, A1 = 0x2000, A2 = 4096, A3 = ShmemUpcall.CallBit, Text = "segment 3", Result = 9 })
            .ShouldBe("segment handler for type 5 from pid 2: segment 3, 4096 bytes at 0x2000: reply 9");
        What(new() { Kind = EventKind.Delivery, Code = 5, A0 = 2, A1 = 0x2000, A2 = 4096, A3 = 0, Text = "segment 3", Result = 0 })
            .ShouldBe("segment handler for type 5 from pid 2: segment 3, 4096 bytes at 0x2000: result 0");
        What(new() { Kind = EventKind.Upcall, Code = 5, A0 = 2, A1 = 0x2000, A2 = 4096, A4 = 0x400030, Text = "segment 3" })
            .ShouldBe("segment handler for type 5 from pid 2 starts at 0x400030: segment 3, 4096 bytes at 0x2000");
    }

    [Fact]
    public void A_syscall_line_prints_each_argument_in_its_format_and_a_hex_result_only_when_not_an_error()
    {
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0x10000000, 0, 8192, 3)).ShouldBe("map(0x0, 8192, rw-) = 0x10000000");
        Formatter.FormatCall(Exit(SyscallNumber.Map, (long)ErrorCode.OutOfMemory, 0, 8192, 7))
            .ShouldBe($"map(0x0, 8192, rwx) = {(long)ErrorCode.OutOfMemory} OutOfMemory");
        // prot: rwx up to 7, "|large" from 0x100 to 0x107, anything else in hex.
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 0)).ShouldEndWith("---) = 0x0");
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 8)).ShouldEndWith(", 0x8) = 0x0");
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 0x100)).ShouldEndWith(", ---|large) = 0x0");
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 0x105)).ShouldEndWith(", r-x|large) = 0x0");
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 0x107)).ShouldEndWith(", rwx|large) = 0x0");
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 0x108)).ShouldEndWith(", 0x108) = 0x0");
        Formatter.FormatCall(Exit(SyscallNumber.Map, 0, 0, 1, 0xff)).ShouldEndWith(", 0xff) = 0x0");
        // A negative Int argument, an RPC method word, send flags, and an Int result.
        Formatter.FormatCall(Exit(SyscallNumber.Sleep, (long)ErrorCode.InvalidArgument, unchecked((ulong)-5)))
            .ShouldBe($"sleep(-5) = {(long)ErrorCode.InvalidArgument} InvalidArgument");
        Formatter.FormatCall(Exit(SyscallNumber.RpcCall, 42, 1, 2UL | 2UL << 16, 40, 2))
            .ShouldBe("rpc_call(1, m2/2, 0x28, 0x2, 0x0, 0x0) = 42");
        ulong flags = (ulong)SendFlags.Duplicate;
        Formatter.FormatCall(Exit(SyscallNumber.Send, 1, 2, 7, 0x10000000, 1, flags))
            .ShouldBe($"send(2, 7, 0x10000000, 1, {SendFlagBits.Describe(flags)}) = 1");
        // An unknown number: its name made up, six hex arguments.
        Formatter.FormatCall(new KernelEvent { Kind = EventKind.SyscallExit, Code = 999, A0 = 1, A1 = 2, A2 = 3, A3 = 4, A4 = 5, A5 = 0x10, Result = -1000 })
            .ShouldBe("syscall_999(0x1, 0x2, 0x3, 0x4, 0x5, 0x10) = -1000");
        Formatter.SyscallName(999).ShouldBe("syscall_999");
        Formatter.SyscallName((long)SyscallNumber.RpcLookup).ShouldBe("rpc_lookup");
        Line(Exit(SyscallNumber.GetPid, 3) with { Tick = 1, Pid = 3, Tid = 3 }).ShouldBe("      1 [pid 3 tid 3]      getpid() = 3");
    }

    [Fact]
    public void A_result_is_a_number_and_an_error_also_its_name()
    {
        EventFormatter.FormatResult(0).ShouldBe("0");
        EventFormatter.FormatResult(12).ShouldBe("12");
        EventFormatter.FormatResult((long)ErrorCode.BadAddress).ShouldBe($"{(long)ErrorCode.BadAddress} BadAddress");
        EventFormatter.FormatResult(-4000).ShouldBe("-4000");
    }
}
