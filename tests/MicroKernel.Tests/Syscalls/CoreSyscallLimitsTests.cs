using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

// The namespace of CoreSyscallTests (see there why not "MicroKernel.Tests.Syscalls").
namespace MicroKernel.Tests.SyscallsCore;

/// <summary>
/// The core syscalls at exactly their limits (the largest sleep, write and mark accepted, one more refused), the
/// names the kernel gives what they make (a thread, an anonymous mapping), and what write and trace_mark leave in
/// the trace.
/// </summary>
public class CoreSyscallLimitsTests
{
    private const ulong Page = AddressSpace.PageSize;

    private static long Err(ErrorCode e) => (long)e;

    [Fact]
    public void The_longest_sleep_is_accepted_and_one_tick_more_is_not()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 1L << 42 });
        long tooLong = 0, longest = -1, after = 0, before = 0;
        k.Spawn("sleeper", sys =>
        {
            tooLong = sys.Syscall(SyscallNumber.Sleep, CoreSyscalls.MaxSleepTicks + 1);
            before = sys.Time;
            longest = sys.Syscall(SyscallNumber.Sleep, CoreSyscalls.MaxSleepTicks);
            after = sys.Time;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        tooLong.ShouldBe(Err(ErrorCode.InvalidArgument));
        longest.ShouldBe(0);
        (after - before).ShouldBe((long)CoreSyscalls.MaxSleepTicks + 2);
    }

    [Fact]
    public void A_write_of_exactly_the_limit_prints_and_one_byte_more_is_refused()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxWriteBytes = 16 });
        long exact = 0, over = 0;
        Process p = k.Spawn("writer", sys =>
        {
            ulong a = sys.Map(Page);
            sys.Memory.WriteString(a, "0123456789abcdefX");
            exact = sys.Syscall(SyscallNumber.Write, a, 16);
            over = sys.Syscall(SyscallNumber.Write, a, 17);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        exact.ShouldBe(16);
        over.ShouldBe(Err(ErrorCode.InvalidArgument));
        k.ConsoleOutput.ToString().ShouldBe("0123456789abcdef");
        // The console event names the writer and carries the text.
        KernelEvent console = log.Events.Single(e => e.Kind == EventKind.Console);
        (console.Pid, console.Tid, console.Text).ShouldBe((p.Pid, p.Threads.Count == 0 ? 1 : p.Threads[0].Tid, "0123456789abcdef"));
    }

    [Fact]
    public void A_trace_mark_of_one_to_128_bytes_is_copied_into_the_trace_and_others_are_refused()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        var got = new List<long>();
        ulong buffer = 0;
        k.Spawn("marker", sys =>
        {
            buffer = sys.Map(Page);
            sys.Memory.Write(buffer, [.. Enumerable.Range(0, 200).Select(i => (byte)i)]);
            got.Add(sys.Syscall(SyscallNumber.TraceMark, buffer, 0));
            got.Add(sys.Syscall(SyscallNumber.TraceMark, buffer, 1));
            got.Add(sys.Syscall(SyscallNumber.TraceMark, buffer, TraceMarkSyscall.MaxBytes));
            got.Add(sys.Syscall(SyscallNumber.TraceMark, buffer, TraceMarkSyscall.MaxBytes + 1));
            got.Add(sys.Syscall(SyscallNumber.TraceMark, buffer + Page - 4, 8)); // runs off the mapping
            got.Add(sys.Syscall(SyscallNumber.TraceMark, 0, 8));
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        got.ShouldBe([Err(ErrorCode.InvalidArgument), 0, 0, Err(ErrorCode.InvalidArgument), Err(ErrorCode.BadAddress), Err(ErrorCode.BadAddress)]);
        // The two accepted marks: their exit events carry exactly the bytes read.
        var marks = log.Events.Where(e => e.Kind == EventKind.SyscallExit && e.Code == (long)SyscallNumber.TraceMark && e.Result == 0).ToList();
        marks.Count.ShouldBe(2);
        marks[0].Io.ShouldNotBeNull().ShouldHaveSingleItem().Bytes.ToArray().ShouldBe([(byte)0]);
        UserIo longest = marks[1].Io.ShouldNotBeNull().ShouldHaveSingleItem();
        (longest.Address, longest.Written).ShouldBe((buffer, false));
        longest.Bytes.ToArray().ShouldBe([.. Enumerable.Range(0, 128).Select(i => (byte)i)]);
    }

    [Fact]
    public void Threads_are_named_after_the_count_of_threads_at_their_creation()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        k.Spawn("p", sys =>
        {
            int a = sys.CreateThread((s, arg) => 0);
            int b = sys.CreateThread((s, arg) => s.Join((int)arg), (ulong)a);
            sys.Join(b);
            int c = sys.CreateThread((s, arg) => 0); // a and b are gone: main alone again
            sys.Join(c);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        log.Events.Where(e => e.Kind == EventKind.ThreadStart).Select(e => e.Text).ShouldBe(["thread-1", "thread-2", "thread-1"]);
    }

    [Fact]
    public void Anonymous_memory_is_named_for_its_page_size()
    {
        var k = new Kernel(new KernelConfig { Frames = 2048 });
        var names = new List<string>();
        k.Spawn("p", sys =>
        {
            names.Add(k.AreaAt(sys, sys.Map(Page)).Name);
            names.Add(k.AreaAt(sys, sys.Map(2 << 20, Protection.ReadWrite, MapFlags.LargePages)).Name);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        names.ShouldBe(["anon", "anon_hugepage"]);
    }

    [Fact]
    public void Map_refuses_any_flag_bit_but_large_pages_and_protect_refuses_any_bit_above_rwx()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        var got = new List<long>();
        k.Spawn("p", sys =>
        {
            got.Add(sys.Syscall(SyscallNumber.Map, 0, Page, (ulong)Protection.ReadWrite | 0x200));
            got.Add(sys.Syscall(SyscallNumber.Map, 0, Page, (ulong)Protection.ReadWrite | 0x8));
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, (ulong)Protection.ReadWrite);
            got.Add(sys.Syscall(SyscallNumber.Protect, a, Page, 8));
            got.Add(sys.Syscall(SyscallNumber.Protect, a, Page, 7));
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        got.ShouldBe([Err(ErrorCode.InvalidArgument), Err(ErrorCode.InvalidArgument), Err(ErrorCode.InvalidArgument), 0]);
    }
}
