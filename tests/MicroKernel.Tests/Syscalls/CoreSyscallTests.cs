using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

// Not "MicroKernel.Tests.Syscalls": TestKernels.cs names "Syscalls.ErrorCode" relative to MicroKernel.Tests, which
// that namespace would shadow. This one still matches the filter FullyQualifiedName~MicroKernel.Tests.Syscalls.
namespace MicroKernel.Tests.SyscallsCore;

/// <summary>
/// Every core syscall through real processes (C# programs making raw syscalls), under paging and the MPUs.
/// After each run: the run completed without a kernel panic, the frame books balanced after every single
/// syscall, and every frame came back.
/// </summary>
public class CoreSyscallTests
{
    private const ulong Page = AddressSpace.PageSize;
    private const ulong KernelHalf = 0xFFFF_8000_0000_0000;
    private const ulong Wrapping = 0xFFFF_FFFF_FFFF_F000;
    private const ulong RW = (ulong)Protection.ReadWrite, RO = (ulong)Protection.Read;

    public static TheoryData<ProtectionModel> AllModels => new() { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private static long Err(ErrorCode e) => (long)e;

    private static long Status(FaultReason reason) => 128 + (int)reason;

    /// <summary>Checks the kernel's books at every syscall exit and process exit.</summary>
    private sealed class InvariantSink(Kernel k) : IEventSink
    {
        public List<string> Problems { get; } = [];

        public int Checks { get; private set; }

        public void Emit(in KernelEvent e)
        {
            if (e.Kind is not (EventKind.SyscallExit or EventKind.ProcessExit or EventKind.Fault)) return;
            Checks++;
            foreach (string p in k.CheckInvariants()) Problems.Add($"after {e.Kind} (pid {e.Pid}, seq {e.Seq}): {p}");
        }
    }

    private static RunResult RunChecked(Kernel k)
    {
        var sink = new InvariantSink(k);
        k.AddSink(sink);
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString() ?? r.DeadlockReport);
        r.Panic.ShouldBeNull();
        sink.Checks.ShouldBeGreaterThan(0);
        sink.Problems.ShouldBeEmpty();
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
        k.Frames.KernelCount.ShouldBe(1, "every page table was freed");
        k.Processes.ShouldAllBe(p => p.State == ProcessState.Exited);
        return r;
    }

    private sealed class Lambda(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }

    private static Process SpawnWithRestarts(Kernel k, string name, Func<Sys, long> main, int maxRestarts)
    {
        k.Spawn(new ManagedProgram(name, () => new Lambda(main)), name, out Process? p, faultPolicy: FaultPolicy.Restart, maxRestarts: maxRestarts)
            .ShouldBe(ErrorCode.Ok);
        return p!;
    }

    // A well-behaved neighbour: keeps data in its own memory across many switches and exits with 5.
    private static Func<Sys, long> Bystander(int rounds = 20) => sys =>
    {
        ulong a = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RW);
        for (ulong i = 0; i < (ulong)rounds; i++)
        {
            sys.Memory.WriteUInt64(a + i * 8, i * i);
            sys.Yield();
        }
        for (ulong i = 0; i < (ulong)rounds; i++)
            if (sys.Memory.ReadUInt64(a + i * 8) != i * i) return 99;
        return 5;
    };

    private static void ShouldBe(List<(string What, long Got)> got, List<(string What, long Expected)> expected)
    {
        got.Select(g => g.What).ShouldBe(expected.Select(e => e.What));
        foreach (var ((what, actual), (_, want)) in got.Zip(expected))
            actual.ShouldBe(want, $"{what}: got {actual} ({(ErrorCode)actual}), expected {want} ({(ErrorCode)want})");
    }

    // ---------------------------------------------------------------- dispatch

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Unknown_syscall_numbers_return_UnknownSyscall(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        long[] numbers = [14, 99, 200, 255, 256, 1000, -1, long.MinValue, long.MaxValue];
        var results = new List<long>();
        Process p = k.Spawn("p", sys =>
        {
            foreach (long n in numbers) results.Add(sys.Syscall((SyscallNumber)n, 1, 2, 3, 4, 5, 6));
            return 0;
        });
        RunChecked(k);
        results.ShouldBe(numbers.Select(_ => Err(ErrorCode.UnknownSyscall)));
        p.ExitStatus.ShouldBe(0);
        p.Faults.ShouldBeEmpty();
    }

    // ---------------------------------------------------------------- map / unmap / protect

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_protect_and_unmap_succeed_on_valid_arguments(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var got = new List<(string, long)>();
        ulong mapped = 0;
        Process p = k.Spawn("p", sys =>
        {
            long a = sys.Syscall(SyscallNumber.Map, 0, 3 * Page, RW);
            mapped = (ulong)a;
            for (ulong i = 0; i < 3; i++) sys.Memory.WriteUInt64(mapped + i * Page + 16, 7 + i);
            got.Add(("read back", (long)sys.Memory.ReadUInt64(mapped + 2 * Page + 16)));
            got.Add(("areas", k.ProgramAreas(sys).Count));
            got.Add(("protect", sys.Syscall(SyscallNumber.Protect, mapped, k.AreaAt(sys, mapped).Length, RO)));
            got.Add(("read after protect", (long)sys.Memory.ReadUInt64(mapped + 16)));
            got.Add(("unmap", sys.Syscall(SyscallNumber.Unmap, mapped, k.AreaAt(sys, mapped).Length)));
            got.Add(("areas after unmap", k.ProgramAreas(sys).Count));
            got.Add(("second map", sys.Syscall(SyscallNumber.Map, 0, 100, RW) > 0 ? 1 : 0));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0, p.Faults.FirstOrDefault()?.ToString());
        mapped.ShouldBeGreaterThanOrEqualTo(model == ProtectionModel.Paging ? PagedAddressSpace.MapBase : Page);
        (mapped % Page).ShouldBe(0UL);
        ShouldBe(got, [("read back", 9), ("areas", 1), ("protect", 0), ("read after protect", 7), ("unmap", 0), ("areas after unmap", 0), ("second map", 1)]);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_rejects_bad_arguments_with_the_documented_errors(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        bool paging = model == ProtectionModel.Paging;
        var got = new List<(string, long)>();
        int userBefore = -1, userAfter = -1, areasAfter = -1;
        k.Spawn("other", sys => { sys.Map(Page); sys.Sleep(100); return 0; });
        Process p = k.Spawn("p", sys =>
        {
            long M(ulong addr, ulong len, ulong prot) => sys.Syscall(SyscallNumber.Map, addr, len, prot);
            ulong existing = (ulong)M(0, 2 * Page, RW);
            userBefore = k.Frames.UserCount;
            got.Add(("length 0", M(0, 0, RW)));
            got.Add(("prot 8", M(0, Page, 8)));
            got.Add(("prot 0xff", M(0, Page, 0xFF)));
            got.Add(("prot bit 32 (rw if truncated)", M(0, Page, 0x1_0000_0003)));
            got.Add(("prot 2^64-1", M(0, Page, ulong.MaxValue)));
            got.Add(("unaligned", M(0x10_0001, Page, RW)));
            got.Add(("unaligned by half a page", M(0x10_0800, Page, RW)));
            got.Add(("kernel half", M(KernelHalf, Page, RW)));
            got.Add(("wraps past 2^64", M(Wrapping, 0x2000, RW)));
            got.Add(("huge length", M(0, ulong.MaxValue, RW)));
            got.Add(("more than RAM", M(0, (ulong)k.Machine.Memory.FrameCount * Page, RW)));
            got.Add(("over an existing area", M(existing, Page, RW)));
            got.Add(("overlapping an existing area", M(existing + Page, 4 * Page, RW)));
            if (paging)
            {
                got.Add(("below UserLow", M(0x1000, Page, RW)));
                got.Add(("up to the non-canonical hole", M(PagedAddressSpace.UserTop - Page, 2 * Page, RW)));
            }
            else
            {
                // No translation: a fixed address names physical frames, which must be free.
                Process other = k.Processes.First(q => q.Name == "other");
                got.Add(("fixed address on another process's frame", M(other.AddressSpace.Areas[0].Start, Page, RW)));
            }
            userAfter = k.Frames.UserCount;
            areasAfter = k.ProgramAreas(sys).Count;
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0);
        var expected = new List<(string, long)>
        {
            ("length 0", Err(ErrorCode.InvalidArgument)),
            ("prot 8", Err(ErrorCode.InvalidArgument)),
            ("prot 0xff", Err(ErrorCode.InvalidArgument)),
            ("prot bit 32 (rw if truncated)", Err(ErrorCode.InvalidArgument)),
            ("prot 2^64-1", Err(ErrorCode.InvalidArgument)),
            ("unaligned", Err(ErrorCode.Misaligned)),
            ("unaligned by half a page", Err(ErrorCode.Misaligned)),
            ("kernel half", Err(ErrorCode.BadAddress)),
            ("wraps past 2^64", Err(ErrorCode.BadAddress)),
            ("huge length", Err(ErrorCode.OutOfMemory)),
            ("more than RAM", Err(ErrorCode.OutOfMemory)),
            ("over an existing area", Err(ErrorCode.AlreadyMapped)),
            ("overlapping an existing area", Err(ErrorCode.AlreadyMapped)),
        };
        if (paging)
        {
            expected.Add(("below UserLow", Err(ErrorCode.BadAddress)));
            expected.Add(("up to the non-canonical hole", Err(ErrorCode.BadAddress)));
        }
        else
        {
            expected.Add(("fixed address on another process's frame", Err(ErrorCode.OutOfMemory)));
        }
        ShouldBe(got, expected);
        userAfter.ShouldBe(userBefore, "a refused map takes no frame");
        areasAfter.ShouldBe(1);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Unmap_and_protect_reject_bad_arguments_and_leave_memory_alone(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        bool paging = model == ProtectionModel.Paging;
        var got = new List<(string, long)>();
        Process p = k.Spawn("p", sys =>
        {
            long U(ulong addr, ulong len) => sys.Syscall(SyscallNumber.Unmap, addr, len);
            long P(ulong addr, ulong len, ulong prot) => sys.Syscall(SyscallNumber.Protect, addr, len, prot);
            // At a fixed spot with nothing mapped after it, so "past the area" runs into unmapped memory (the first
            // free spot may lie just below the loader's runtime area).
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, paging ? PagedAddressSpace.MapBase + 64 * Page : 0x80000, 2 * Page, RW);
            sys.Memory.WriteUInt64(a, 0xABCD);

            got.Add(("unmap length 0", U(a, 0)));
            got.Add(("unmap unaligned", U(a + 8, Page)));
            got.Add(("unmap kernel half", U(KernelHalf, Page)));
            got.Add(("unmap wrapping", U(Wrapping, 0x2000)));
            got.Add(("unmap huge length", U(a, ulong.MaxValue)));
            got.Add(("unmap past the area", U(a, 3 * Page)));
            got.Add(("unmap nothing there", U(a + 64 * Page, Page)));
            got.Add(("protect prot 8", P(a, Page, 8)));
            ulong whole = k.AreaAt(sys, a).Length;
            got.Add(("protect prot bit 32 (read-only if truncated)", P(a, whole, 0x1_0000_0001)));
            got.Add(("protect reserved bits on a bad range", P(KernelHalf, Page, 0x80)));
            got.Add(("protect length 0", P(a, 0, RO)));
            got.Add(("protect unaligned", P(a + 1, Page, RO)));
            got.Add(("protect kernel half", P(KernelHalf, Page, RO)));
            got.Add(("protect wrapping", P(Wrapping, 0x2000, RO)));
            got.Add(("protect past the area", P(a, 3 * Page, RO)));
            got.Add(("protect nothing there", P(a + 64 * Page, Page, RO)));
            got.Add(("partial unmap", U(a + Page, Page)));
            got.Add(("value kept", (long)sys.Memory.ReadUInt64(a)));
            sys.Memory.WriteUInt64(a, 1); // still writable: no protect went through
            got.Add(("whole unmap", U(a, paging ? Page : k.AreaAt(sys, a).Length)));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0, p.Faults.FirstOrDefault()?.ToString());
        ShouldBe(got,
        [
            ("unmap length 0", Err(ErrorCode.InvalidArgument)),
            ("unmap unaligned", Err(ErrorCode.Misaligned)),
            ("unmap kernel half", Err(ErrorCode.BadAddress)),
            ("unmap wrapping", Err(ErrorCode.BadAddress)),
            ("unmap huge length", Err(ErrorCode.BadAddress)),
            ("unmap past the area", Err(ErrorCode.NotMapped)),
            ("unmap nothing there", Err(ErrorCode.NotMapped)),
            ("protect prot 8", Err(ErrorCode.InvalidArgument)),
            ("protect prot bit 32 (read-only if truncated)", Err(ErrorCode.InvalidArgument)),
            ("protect reserved bits on a bad range", Err(ErrorCode.InvalidArgument)),
            ("protect length 0", Err(ErrorCode.InvalidArgument)),
            ("protect unaligned", Err(ErrorCode.Misaligned)),
            ("protect kernel half", Err(ErrorCode.BadAddress)),
            ("protect wrapping", Err(ErrorCode.BadAddress)),
            ("protect past the area", Err(ErrorCode.NotMapped)),
            ("protect nothing there", Err(ErrorCode.NotMapped)),
            ("partial unmap", paging ? 0 : Err(ErrorCode.InvalidArgument)), // an MPU region cannot be split
            ("value kept", 0xABCD),
            ("whole unmap", 0),
        ]);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_out_of_frames_is_OutOfMemory_and_leaks_nothing(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var got = new List<(string, long)>();
        Process p = k.Spawn("p", sys =>
        {
            int user = k.Frames.UserCount, free = k.Frames.FreeCount;
            // A frames rule armed from here on: its request #1 is the map's first frame.
            k.Frames.Injector = new FaultInjector(new FaultPlan([new FramesFaultRule(1, 1000)]), 1, k);
            got.Add(("injected failure", sys.Syscall(SyscallNumber.Map, 0, 4 * Page, RW)));
            k.Frames.Injector = new FaultInjector(new FaultPlan([new FramesFaultRule(2)]), 1, k); // the second frame of the map
            long half = sys.Syscall(SyscallNumber.Map, 0, 4 * Page, RW);
            got.Add(("failure half way", half > 0 ? 1 : half));
            k.Frames.Injector = null;
            got.Add(("user frames unchanged", k.Frames.UserCount - user));
            got.Add(("free frames unchanged", k.Frames.FreeCount - free));
            got.Add(("no area left", k.ProgramAreas(sys).Count));
            got.Add(("map works again", sys.Syscall(SyscallNumber.Map, 0, 4 * Page, RW) > 0 ? 1 : 0));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0);
        bool paging = model == ProtectionModel.Paging;
        ShouldBe(got,
        [
            ("injected failure", Err(ErrorCode.OutOfMemory)),
            // An MPU map takes its block in one contiguous allocation, so it fails at the first request.
            ("failure half way", paging ? Err(ErrorCode.OutOfMemory) : 1),
            ("user frames unchanged", paging ? 0 : 4),
            ("free frames unchanged", paging ? 0 : -4),
            ("no area left", paging ? 0 : 1),
            ("map works again", 1),
        ]);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Mpu_region_budget_exhausted_is_NoMpuRegion(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var results = new List<long>();
        int free = 0;
        Process p = k.Spawn("p", sys =>
        {
            // The loader's runtime area (startup block, console slots) already holds one of the eight regions.
            var space = (MpuAddressSpace)k.ProcessOf(sys).AddressSpace;
            free = space.RegionBudget - space.Areas.Count;
            for (int i = 0; i <= free; i++) results.Add(sys.Syscall(SyscallNumber.Map, 0, Page, RW));
            for (int i = 0; i < free; i++) sys.Memory.WriteUInt64((ulong)results[i], (ulong)i);
            results.Add(sys.Syscall(SyscallNumber.Unmap, (ulong)results[3], Page));
            results.Add(sys.Syscall(SyscallNumber.Map, 0, Page, RW));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0, p.Faults.FirstOrDefault()?.ToString());
        free.ShouldBe(7);
        results.Take(free).ShouldAllBe(r => r > 0);
        results[free].ShouldBe(Err(ErrorCode.NoMpuRegion));
        results[free + 1].ShouldBe(0);
        results[free + 2].ShouldBe(results[3], "the freed region and block are used again");
    }

    // ---------------------------------------------------------------- write

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Write_copies_user_bytes_to_the_console_and_rejects_bad_buffers(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var got = new List<(string, long)>();
        Process p = k.Spawn("p", sys =>
        {
            long W(ulong buf, ulong len) => sys.Syscall(SyscallNumber.Write, buf, len);
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RW);
            ulong end = k.AreaAt(sys, a).End;
            int n = sys.Memory.WriteString(a, "hello");
            sys.Memory.WriteString(end - 2, "XY");
            ulong none = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, (ulong)Protection.None);

            got.Add(("ok", W(a, (ulong)n)));
            got.Add(("length 0", W(a, 0)));
            got.Add(("length 0 at a bad address", W(KernelHalf, 0)));
            got.Add(("null", W(0, 16)));
            got.Add(("unmapped", W(end, 16)));
            got.Add(("crosses into unmapped", W(end - 2, 4)));
            got.Add(("kernel half", W(KernelHalf, 16)));
            got.Add(("wrapping", W(Wrapping, 0x2000)));
            got.Add(("too long", W(a, (ulong)k.Config.MaxWriteBytes + 1)));
            got.Add(("2^64-1 bytes", W(a, ulong.MaxValue)));
            got.Add(("PROT_NONE buffer", W(none, 4)));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0, p.Faults.FirstOrDefault()?.ToString());
        k.ConsoleOutput.ToString().ShouldBe("hello", "no refused write printed anything");
        ShouldBe(got,
        [
            ("ok", 5),
            ("length 0", 0),
            ("length 0 at a bad address", 0),
            ("null", Err(ErrorCode.BadAddress)),
            ("unmapped", Err(ErrorCode.BadAddress)),
            ("crosses into unmapped", Err(ErrorCode.BadAddress)),
            ("kernel half", Err(ErrorCode.BadAddress)),
            ("wrapping", Err(ErrorCode.BadAddress)),
            ("too long", Err(ErrorCode.InvalidArgument)),
            ("2^64-1 bytes", Err(ErrorCode.InvalidArgument)),
            ("PROT_NONE buffer", Err(ErrorCode.BadAddress)),
        ]);
        p.Faults.ShouldBeEmpty("a bad syscall buffer is an error result, not a fault");
    }

    // ---------------------------------------------------------------- sleep and time

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Sleep_rejects_huge_values_and_advances_virtual_time(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var got = new List<(string, long)>();
        Process p = k.Spawn("p", sys =>
        {
            got.Add(("too long", sys.Syscall(SyscallNumber.Sleep, CoreSyscalls.MaxSleepTicks + 1)));
            got.Add(("2^64-1", sys.Syscall(SyscallNumber.Sleep, ulong.MaxValue)));
            got.Add(("negative", sys.Syscall(SyscallNumber.Sleep, unchecked((ulong)-5L))));
            long t0 = sys.Syscall(SyscallNumber.Time);
            got.Add(("zero", sys.Syscall(SyscallNumber.Sleep, 0)));
            got.Add(("fifty", sys.Syscall(SyscallNumber.Sleep, 50)));
            long t1 = sys.Syscall(SyscallNumber.Time);
            got.Add(("slept at least 50 ticks", t1 - t0 >= 50 ? 1 : 0));
            got.Add(("not much more", t1 - t0 <= 60 ? 1 : 0));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0);
        ShouldBe(got,
        [
            ("too long", Err(ErrorCode.InvalidArgument)),
            ("2^64-1", Err(ErrorCode.InvalidArgument)),
            ("negative", Err(ErrorCode.InvalidArgument)),
            ("zero", 0),
            ("fifty", 0),
            ("slept at least 50 ticks", 1),
            ("not much more", 1),
        ]);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Time_advances_with_every_syscall(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var times = new List<long>();
        k.Spawn("p", sys =>
        {
            for (int i = 0; i < 5; i++) times.Add(sys.Syscall(SyscallNumber.Time));
            sys.Yield();
            times.Add(sys.Syscall(SyscallNumber.Time));
            return 0;
        });
        k.Spawn("other", Bystander(5));
        RunResult r = RunChecked(k);
        times[0].ShouldBeGreaterThan(0);
        for (int i = 1; i < times.Count; i++) times[i].ShouldBeGreaterThan(times[i - 1]);
        times[^1].ShouldBeLessThanOrEqualTo(r.Ticks);
    }

    // ---------------------------------------------------------------- pids and tids

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Getpid_and_gettid_identify_the_caller(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var seen = new List<(string, long)>();
        Process a = k.Spawn("a", sys =>
        {
            seen.Add(("a pid", sys.Syscall(SyscallNumber.GetPid)));
            seen.Add(("a tid", sys.Syscall(SyscallNumber.GetTid)));
            int tid = sys.CreateThread((s, _) =>
            {
                seen.Add(("a thread pid", s.Syscall(SyscallNumber.GetPid)));
                seen.Add(("a thread tid", s.Syscall(SyscallNumber.GetTid)));
                return 0;
            });
            seen.Add(("created tid", tid));
            sys.Syscall(SyscallNumber.ThreadJoin, (ulong)tid);
            return 0;
        });
        Process b = k.Spawn("b", sys =>
        {
            seen.Add(("b pid", sys.Syscall(SyscallNumber.GetPid)));
            seen.Add(("b tid", sys.Syscall(SyscallNumber.GetTid)));
            return 0;
        });
        RunChecked(k);
        a.Pid.ShouldBe(1);
        b.Pid.ShouldBe(2);
        var values = seen.ToDictionary(x => x.Item1, x => x.Item2);
        values["a pid"].ShouldBe(1);
        values["a tid"].ShouldBe(1);
        values["b pid"].ShouldBe(2);
        values["b tid"].ShouldBe(2);
        values["created tid"].ShouldBe(3);
        values["a thread pid"].ShouldBe(1);
        values["a thread tid"].ShouldBe(3);
    }

    // ---------------------------------------------------------------- threads

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Thread_create_checks_its_entry_and_stack(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        const ulong Entry1 = ManagedProgram.CodeBase + 16;
        var got = new List<(string, long)>();
        Process p = k.Spawn("p", sys =>
        {
            long C(ulong entry, ulong arg, ulong stack) => sys.Syscall(SyscallNumber.ThreadCreate, entry, arg, stack);
            got.Add(("entry not registered yet", C(Entry1, 0, 0)));
            got.Add(("main is not a thread entry", C(ManagedProgram.CodeBase, 0, 0)));
            got.Add(("null entry", C(0, 0, 0)));
            got.Add(("2^64-1 entry", C(ulong.MaxValue, 0, 0)));

            int first = sys.CreateThread((s, arg) => (long)arg * 2, 21); // registers Entry1
            got.Add(("join first", sys.Syscall(SyscallNumber.ThreadJoin, (ulong)first)));
            got.Add(("misaligned entry", C(Entry1 + 1, 0, 0)));
            got.Add(("entry past the table", C(Entry1 + 16, 0, 0)));

            ulong stack = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RW);
            ulong roStack = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RO);
            ulong stackEnd = k.AreaAt(sys, stack).End;
            ulong roEnd = k.AreaAt(sys, roStack).End;
            got.Add(("unmapped stack", C(Entry1, 1, roEnd + 64 * Page)));
            got.Add(("kernel half stack", C(Entry1, 1, KernelHalf + Page)));
            got.Add(("read-only stack", C(Entry1, 1, roEnd)));
            got.Add(("stack 8 (top-8 = 0)", C(Entry1, 1, 8)));
            got.Add(("stack 4 (wraps)", C(Entry1, 1, 4)));

            long withStack = C(Entry1, 5, stackEnd);
            got.Add(("valid stack", withStack > 0 ? 1 : withStack));
            got.Add(("join it", sys.Syscall(SyscallNumber.ThreadJoin, (ulong)withStack)));
            long noStack = C(Entry1, 6, 0);
            got.Add(("join one without a stack", sys.Syscall(SyscallNumber.ThreadJoin, (ulong)noStack)));
            got.Add(("threads left", k.ProcessOf(sys).Threads.Count));
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0, p.Faults.FirstOrDefault()?.ToString());
        ShouldBe(got,
        [
            ("entry not registered yet", Err(ErrorCode.InvalidArgument)),
            ("main is not a thread entry", Err(ErrorCode.InvalidArgument)),
            ("null entry", Err(ErrorCode.InvalidArgument)),
            ("2^64-1 entry", Err(ErrorCode.InvalidArgument)),
            ("join first", 42),
            ("misaligned entry", Err(ErrorCode.InvalidArgument)),
            ("entry past the table", Err(ErrorCode.InvalidArgument)),
            ("unmapped stack", Err(ErrorCode.BadAddress)),
            ("kernel half stack", Err(ErrorCode.BadAddress)),
            ("read-only stack", Err(ErrorCode.BadAddress)),
            ("stack 8 (top-8 = 0)", Err(ErrorCode.BadAddress)),
            ("stack 4 (wraps)", Err(ErrorCode.BadAddress)),
            ("valid stack", 1),
            ("join it", 10),
            ("join one without a stack", 12),
            ("threads left", 1),
        ]);
    }

    [Fact]
    public void Thread_create_stops_at_the_per_process_limit()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxThreadsPerProcess = 4, MaxTicks = 200_000 });
        var results = new List<long>();
        Process p = k.Spawn("p", sys =>
        {
            // Main plus three sleepers reach the limit of four live threads.
            results.Add(sys.CreateThread((s, _) => { s.Syscall(SyscallNumber.Sleep, 100); return 0; }));
            for (int i = 0; i < 3; i++) results.Add(sys.Syscall(SyscallNumber.ThreadCreate, ManagedProgram.CodeBase + 16, 0, 0));
            results.Add(k.ProcessOf(sys).Threads.Count);
            return 0;
        });
        RunChecked(k);
        p.ExitStatus.ShouldBe(0, p.Faults.FirstOrDefault()?.ToString());
        results.Take(3).ShouldAllBe(r => r > 0);
        results[3].ShouldBe(Err(ErrorCode.LimitReached));
        results[4].ShouldBe(4);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Thread_join_errors_and_exit_codes(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var got = new List<(string, long)>();
        Process a = k.Spawn("a", sys =>
        {
            long J(ulong tid) => sys.Syscall(SyscallNumber.ThreadJoin, tid);
            got.Add(("self", J((ulong)sys.Syscall(SyscallNumber.GetTid))));
            got.Add(("unknown", J(9999)));
            got.Add(("negative", J(unchecked((ulong)-1L))));
            got.Add(("beyond int", J((ulong)int.MaxValue + 2)));
            got.Add(("another process's thread", J(2)));

            int running = sys.CreateThread((s, _) =>
            {
                for (int i = 0; i < 5; i++) s.Yield();
                return -77;
            });
            got.Add(("join a running thread", J((ulong)running)));

            int quick = sys.CreateThread((s, _) => 31);
            int exiter = sys.CreateThread((s, _) =>
            {
                s.Syscall(SyscallNumber.ThreadExit, 33);
                return 1000; // never reached
            });
            sys.Syscall(SyscallNumber.Sleep, 20);
            got.Add(("threads alive before the joins", k.ProcessOf(sys).Threads.Count));
            got.Add(("join an exited thread", J((ulong)quick)));
            got.Add(("join it again", J((ulong)quick)));
            got.Add(("join a thread_exit", J((ulong)exiter)));
            return 0;
        });
        Process b = k.Spawn("b", sys =>
        {
            sys.Syscall(SyscallNumber.Sleep, 30); // stays alive while a tries to join it
            return 0;
        });
        RunChecked(k);
        a.ExitStatus.ShouldBe(0, a.Faults.FirstOrDefault()?.ToString());
        b.ExitStatus.ShouldBe(0);
        ShouldBe(got,
        [
            ("self", Err(ErrorCode.NotPermitted)),
            ("unknown", Err(ErrorCode.NoSuchThread)),
            ("negative", Err(ErrorCode.NoSuchThread)),
            ("beyond int", Err(ErrorCode.NoSuchThread)),
            ("another process's thread", Err(ErrorCode.NoSuchThread)),
            ("join a running thread", -77),
            ("threads alive before the joins", 1),
            ("join an exited thread", 31),
            ("join it again", 31),
            ("join a thread_exit", 33),
        ]);
    }

    // ---------------------------------------------------------------- exit

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Exit_code_becomes_the_exit_status(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        bool ranOn = false;
        Process exits = k.Spawn("exits", sys =>
        {
            sys.Syscall(SyscallNumber.Map, 0, 2 * Page, RW); // memory it never unmaps
            sys.Syscall(SyscallNumber.Exit, 42);
            ranOn = true;
            return 1;
        });
        Process negative = k.Spawn("negative", sys =>
        {
            sys.Syscall(SyscallNumber.Exit, unchecked((ulong)-3L));
            ranOn = true;
            return 1;
        });
        Process returns = k.Spawn("returns", _ => 7);
        Process fromThread = k.Spawn("from-thread", sys =>
        {
            sys.CreateThread((s, _) =>
            {
                s.Syscall(SyscallNumber.Exit, 9);
                return 1;
            });
            sys.Syscall(SyscallNumber.Sleep, 1000); // killed while asleep
            ranOn = true;
            return 1;
        });
        RunChecked(k);
        ranOn.ShouldBeFalse("nothing runs after exit");
        exits.ExitStatus.ShouldBe(42);
        negative.ExitStatus.ShouldBe(-3);
        returns.ExitStatus.ShouldBe(7);
        fromThread.ExitStatus.ShouldBe(9);
        new[] { exits, negative, returns, fromThread }.ShouldAllBe(p => p.Faults.Count == 0);
    }

    // ---------------------------------------------------------------- crashes and faults

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_CSharp_exception_kills_only_its_process(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        Process crasher = k.Spawn("crasher", sys =>
        {
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RW);
            sys.Memory.WriteUInt64(a, 1);
            sys.Yield();
            throw new InvalidOperationException("boom in user code");
        });
        Process threadCrasher = k.Spawn("thread-crasher", sys =>
        {
            int tid = sys.CreateThread((s, _) => throw new ArgumentException("thread boom"));
            sys.Syscall(SyscallNumber.ThreadJoin, (ulong)tid);
            sys.Syscall(SyscallNumber.Sleep, 1000);
            return 0;
        });
        Process bystander = k.Spawn("bystander", Bystander());
        RunChecked(k);

        crasher.ExitStatus.ShouldBe(Status(FaultReason.UserException));
        FaultRecord f = crasher.Faults.ShouldHaveSingleItem();
        f.Reason.ShouldBe(FaultReason.UserException);
        f.Pid.ShouldBe(crasher.Pid);
        f.Tid.ShouldBe(1);
        f.Detail.ShouldContain("InvalidOperationException");
        f.HostMessage.ShouldBe("boom in user code");

        threadCrasher.ExitStatus.ShouldBe(Status(FaultReason.UserException));
        threadCrasher.Faults.ShouldHaveSingleItem().HostMessage.ShouldBe("thread boom");

        bystander.ExitStatus.ShouldBe(5);
        bystander.Faults.ShouldBeEmpty();
    }

    public enum BadAccess { WriteReadOnly, ReadUnmapped, ReadKernelPage, ReadNull }

    public static TheoryData<ProtectionModel, BadAccess> FaultCases()
    {
        var data = new TheoryData<ProtectionModel, BadAccess>();
        foreach (ProtectionModel m in new[] { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu })
            foreach (BadAccess b in Enum.GetValues<BadAccess>())
                data.Add(m, b);
        return data;
    }

    [Theory]
    [MemberData(nameof(FaultCases))]
    public void A_memory_fault_kills_only_its_process_and_is_recorded(ProtectionModel model, BadAccess bad)
    {
        var k = TestKernels.Boot(model);
        bool paging = model == ProtectionModel.Paging;
        ulong target = 0;
        bool ranOn = false;
        Process victim = k.Spawn("victim", sys =>
        {
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RW);
            sys.Memory.WriteUInt64(a + 8, 3);
            sys.Yield();
            switch (bad)
            {
                case BadAccess.WriteReadOnly:
                    sys.Syscall(SyscallNumber.Protect, a, k.AreaAt(sys, a).Length, RO);
                    sys.Memory.ReadUInt64(a + 8); // reading is still fine
                    target = a + 8;
                    sys.Memory.WriteUInt64(target, 4);
                    break;
                case BadAccess.ReadUnmapped:
                    sys.Syscall(SyscallNumber.Unmap, a, k.AreaAt(sys, a).Length);
                    target = a + 8;
                    sys.Memory.ReadUInt64(target);
                    break;
                case BadAccess.ReadKernelPage:
                    target = paging ? PagedAddressSpace.KernelBase : 0x10; // MPU: frame 0 is the kernel's
                    sys.Memory.ReadUInt64(target);
                    break;
                case BadAccess.ReadNull:
                    target = 0;
                    sys.Memory.ReadByte(target);
                    break;
            }
            ranOn = true;
            return 0;
        });
        Process bystander = k.Spawn("bystander", Bystander());
        RunChecked(k);

        (AccessKind access, FaultReason reason) = bad switch
        {
            BadAccess.WriteReadOnly => (AccessKind.Write, FaultReason.ReadOnly),
            BadAccess.ReadUnmapped => (AccessKind.Read, paging ? FaultReason.NotPresent : FaultReason.NoRegion),
            BadAccess.ReadKernelPage => (AccessKind.Read, paging ? FaultReason.Supervisor : FaultReason.NoRegion),
            _ => (AccessKind.Read, paging ? FaultReason.NotPresent : FaultReason.NoRegion),
        };
        ranOn.ShouldBeFalse("the faulting thread does not continue");
        victim.ExitStatus.ShouldBe(Status(reason));
        FaultRecord f = victim.Faults.ShouldHaveSingleItem();
        f.Pid.ShouldBe(victim.Pid);
        f.Tid.ShouldBe(1);
        f.Address.ShouldBe(target);
        f.Access.ShouldBe(access);
        f.Reason.ShouldBe(reason);
        f.ExitStatus.ShouldBe(Status(reason));

        bystander.ExitStatus.ShouldBe(5);
        bystander.Faults.ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_fault_in_one_thread_kills_the_whole_process(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        bool mainRanOn = false;
        Process p = k.Spawn("p", sys =>
        {
            int tid = sys.CreateThread((s, _) =>
            {
                s.Memory.WriteUInt64(0x30, 1);
                return 0;
            });
            sys.Syscall(SyscallNumber.ThreadJoin, (ulong)tid);
            sys.Syscall(SyscallNumber.Sleep, 100);
            mainRanOn = true;
            return 0;
        });
        Process bystander = k.Spawn("bystander", Bystander());
        RunChecked(k);
        FaultReason reason = model == ProtectionModel.Paging ? FaultReason.NotPresent : FaultReason.NoRegion;
        p.ExitStatus.ShouldBe(Status(reason));
        FaultRecord f = p.Faults.ShouldHaveSingleItem();
        f.Tid.ShouldBe(3, "the created thread faulted");
        f.Address.ShouldBe(0x30UL);
        f.Access.ShouldBe(AccessKind.Write);
        mainRanOn.ShouldBeFalse();
        bystander.ExitStatus.ShouldBe(5);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_process_cannot_read_another_process_memory(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        ulong secretAt = 0;
        Process owner = k.Spawn("owner", sys =>
        {
            secretAt = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RW);
            sys.Memory.WriteUInt64(secretAt, 0x5EC2E7);
            sys.Syscall(SyscallNumber.Sleep, 50);
            return sys.Memory.ReadUInt64(secretAt) == 0x5EC2E7 ? 0 : 1;
        });
        Process spy = k.Spawn("spy", sys =>
        {
            while (secretAt == 0) sys.Yield();
            return (long)sys.Memory.ReadUInt64(secretAt); // nothing of the spy's own is there
        });
        RunChecked(k);
        owner.ExitStatus.ShouldBe(0);
        FaultReason reason = model == ProtectionModel.Paging ? FaultReason.NotPresent : FaultReason.NoRegion;
        spy.ExitStatus.ShouldBe(Status(reason));
        spy.Faults.ShouldHaveSingleItem().Address.ShouldBe(secretAt);
    }

    // ---------------------------------------------------------------- the restart policy

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Restart_policy_restarts_up_to_MaxRestarts_then_kills(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        int runs = 0;
        var tids = new List<long>();
        Process p = SpawnWithRestarts(k, "crashy", sys =>
        {
            runs++;
            tids.Add(sys.Syscall(SyscallNumber.GetTid));
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, 0, Page, RO);
            sys.Memory.WriteUInt64(a, 1);
            return 0;
        }, maxRestarts: 2);
        Process bystander = k.Spawn("bystander", Bystander());
        RunChecked(k);

        runs.ShouldBe(3, "the first run and two restarts");
        p.Restarts.ShouldBe(2);
        p.Faults.Count.ShouldBe(3);
        p.Faults.ShouldAllBe(f => f.Reason == FaultReason.ReadOnly && f.Pid == p.Pid);
        p.ExitStatus.ShouldBe(Status(FaultReason.ReadOnly));
        tids.Distinct().Count().ShouldBe(3, "each restart runs on a new main thread");
        bystander.ExitStatus.ShouldBe(5);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Restart_starts_over_with_fresh_memory(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        int runs = 0;
        var firstWords = new List<ulong>();
        Process p = SpawnWithRestarts(k, "once", sys =>
        {
            runs++;
            ulong fixedAt = model == ProtectionModel.Paging ? 0x5000_0000UL : 0;
            ulong a = (ulong)sys.Syscall(SyscallNumber.Map, fixedAt, Page, RW);
            firstWords.Add(sys.Memory.ReadUInt64(a));
            sys.Memory.WriteUInt64(a, 0xD1D1);
            if (runs == 1) sys.Memory.ReadUInt64(0x20); // fault once
            return 7;
        }, maxRestarts: 3);
        RunChecked(k);
        runs.ShouldBe(2);
        p.Restarts.ShouldBe(1);
        p.ExitStatus.ShouldBe(7);
        p.Faults.ShouldHaveSingleItem();
        firstWords.ShouldBe([0UL, 0UL], "the restarted process sees zeroed memory, not the old run's data");
    }

    [Fact]
    public void Restart_policy_with_no_restarts_left_kills_at_once()
    {
        var k = TestKernels.Boot();
        int runs = 0;
        Process p = SpawnWithRestarts(k, "p", sys =>
        {
            runs++;
            sys.Memory.ReadUInt64(PagedAddressSpace.KernelBase);
            return 0;
        }, maxRestarts: 0);
        RunChecked(k);
        runs.ShouldBe(1);
        p.Restarts.ShouldBe(0);
        p.ExitStatus.ShouldBe(Status(FaultReason.Supervisor));
    }

    [Fact]
    public void Restart_policy_default_allows_three_restarts_and_covers_user_exceptions()
    {
        var k = TestKernels.Boot(ProtectionModel.ArmV8Mpu);
        int runs = 0;
        Process p = k.Spawn("p", sys =>
        {
            runs++;
            throw new InvalidOperationException("again");
        }, FaultPolicy.Restart);
        RunChecked(k);
        runs.ShouldBe(4);
        p.Restarts.ShouldBe(3);
        p.ExitStatus.ShouldBe(Status(FaultReason.UserException));
        p.Faults.Count.ShouldBe(4);
    }
}
