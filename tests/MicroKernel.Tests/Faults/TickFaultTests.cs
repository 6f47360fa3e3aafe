using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>The rules that fire at a time or a count of events: kill, crash, preempt, flip, delay, kernel-bug.</summary>
public class TickFaultTests
{
    private const ulong Page = 4096;

    // Two processes that each make 40 time syscalls (one tick each): pid 1 "a", pid 2 "b".
    private static Kernel Loopers(FaultRule[] rules, ISchedulingPolicy? policy = null, FaultPolicy faultPolicy = FaultPolicy.Kill)
    {
        var k = new Kernel(FaultRig.Config(rules: rules), policy);
        k.Spawn("a", sys =>
        {
            for (int i = 0; i < 40; i++) sys.Syscall(SyscallNumber.Time);
            return 1;
        }, faultPolicy);
        k.Spawn("b", sys =>
        {
            for (int i = 0; i < 40; i++) sys.Syscall(SyscallNumber.Time);
            return 2;
        });
        return k;
    }

    [Fact]
    public void A_kill_at_a_tick_ends_the_process_with_137_at_the_first_scheduling_point_from_then()
    {
        FaultRule[] rules = [new KillFaultRule(1, Tick: 20, SyscallNth: null)];
        Kernel k = Loopers(rules);
        (RunResult r, EventLog log) = k.RunBalanced();
        r.Processes.Single(p => p.Pid == 1).ExitStatus.ShouldBe(Kernel.KilledStatus);
        r.Processes.Single(p => p.Pid == 2).ExitStatus.ShouldBe(2);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldBe("kill pid 1 at tick 20");
        inject.Tick.ShouldBe(20);
        log.Events.Single(e => e.Kind == EventKind.ProcessExit && e.Pid == 1).Seq.ShouldBeGreaterThan(inject.Seq);
        FaultRig.Replay(p => Loopers(rules, p), log, r).ShouldBeNull();
    }

    [Fact]
    public void A_kill_at_the_nth_syscall_stops_that_call_before_it_runs()
    {
        int calls = 0;
        var k = FaultRig.Boot(new KillFaultRule(1, Tick: null, SyscallNth: 3));
        Process p = k.Spawn("a", sys =>
        {
            for (int i = 0; i < 10; i++)
            {
                sys.Syscall(SyscallNumber.Time);
                calls++;
            }
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        calls.ShouldBe(2);
        p.ExitStatus.ShouldBe(Kernel.KilledStatus);
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("kill pid 1 at its syscall #3 (time)");
        log.Events.Count(e => e.Kind == EventKind.SyscallExit && e.Pid == 1).ShouldBe(2, "the third call never returns");
    }

    [Fact]
    public void A_kill_of_a_process_that_already_ended_records_that_it_found_nothing()
    {
        var k = FaultRig.Boot(new KillFaultRule(1, Tick: 30, SyscallNth: null));
        k.Spawn("short", _ => 0);
        k.Spawn("long", sys =>
        {
            for (int i = 0; i < 40; i++) sys.Syscall(SyscallNumber.Time);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunBalanced();
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("kill pid 1 at tick 30: no running process, nothing killed");
        r.Processes.ShouldAllBe(p => p.ExitStatus == 0);
    }

    [Fact]
    public void A_crash_faults_the_process_with_reason_Injected_and_its_kill_policy_runs()
    {
        FaultRule[] rules = [new CrashFaultRule(2, 15)];
        Kernel k = Loopers(rules);
        (RunResult r, EventLog log) = k.RunBalanced();
        Process b = r.Processes.Single(p => p.Pid == 2);
        b.ExitStatus.ShouldBe(128 + (int)FaultReason.Injected);
        FaultRecord fault = b.Faults.ShouldHaveSingleItem();
        fault.Reason.ShouldBe(FaultReason.Injected);
        fault.Detail.ShouldBe("crash injected by fault rule #0");
        log.Injections().ShouldHaveSingleItem().Text.ShouldStartWith("crash pid 2 tid 2 at tick 1");
        log.Events.ShouldContain(e => e.Kind == EventKind.Fault && e.Pid == 2 && e.Code == (long)FaultReason.Injected);
        r.Processes.Single(p => p.Pid == 1).ExitStatus.ShouldBe(1);
        FaultRig.Replay(p => Loopers(rules, p), log, r).ShouldBeNull();
    }

    [Fact]
    public void A_crash_of_the_running_thread_unwinds_it_at_once()
    {
        int calls = 0;
        var k = FaultRig.Boot(new CrashFaultRule(1, 5));
        Process p = k.Spawn("alone", sys =>
        {
            for (int i = 0; i < 20; i++)
            {
                sys.Syscall(SyscallNumber.Time);
                calls++;
            }
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        calls.ShouldBe(4, "the fifth call's scheduling point is tick 5: it never returns");
        p.ExitStatus.ShouldBe(128 + (int)FaultReason.Injected);
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("crash pid 1 tid 1 at tick 5");
    }

    [Fact]
    public void A_crash_of_the_running_thread_at_an_access_point_unwinds_it_at_that_access()
    {
        int writes = 0;
        var k = FaultRig.Boot(new CrashFaultRule(1, 5));
        Process p = k.Spawn("writer", sys =>
        {
            ulong a = sys.Map(4096);
            for (int i = 0; i < 100_000; i++)
            {
                sys.Memory.WriteUInt64(a, (ulong)i); // no syscall: the ticks pass at access points
                writes++;
            }
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        writes.ShouldBe(255, "the access that reaches tick 5 (64 accesses a tick, after the map's tick) never completes");
        p.ExitStatus.ShouldBe(128 + (int)FaultReason.Injected);
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("crash pid 1 tid 1 at tick 5");
    }

    [Fact]
    public void A_crash_of_a_supervised_process_restarts_it()
    {
        FaultRule[] rules = [new CrashFaultRule(1, 10)];
        Kernel k = Loopers(rules, faultPolicy: FaultPolicy.Restart);
        (RunResult r, EventLog log) = k.RunBalanced();
        Process a = r.Processes.Single(p => p.Pid == 1);
        a.Restarts.ShouldBe(1);
        a.ExitStatus.ShouldBe(1, "the restarted program ran to its end");
        a.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Injected);
        log.Events.ShouldContain(e => e.Kind == EventKind.Restart && e.Pid == 1);
    }

    [Fact]
    public void A_preempt_forces_a_context_switch_at_its_tick()
    {
        FaultRule[] rules = [new PreemptFaultRule(2)];
        (RunResult plain, EventLog plainLog) = Loopers([]).RunBalanced();
        plainLog.Events.ShouldNotContain(e => e.Kind == EventKind.Switch && e.Tick == 2);
        Kernel k = Loopers(rules);
        (RunResult r, EventLog log) = k.RunBalanced();
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("preempt tid 1 at tick 2");
        KernelEvent sw = log.Events.First(e => e.Kind == EventKind.Switch && e.Tick == 2);
        sw.Text.ShouldBe("injected preempt");
        sw.Tid.ShouldBe(1);
        sw.A0.ShouldBe(2UL);
        r.Switches.ShouldBeGreaterThan(plain.Switches - 1);
        FaultRig.Replay(p => Loopers(rules, p), log, r).ShouldBeNull();
    }

    // A program that writes 0x41 at Target, sleeps past the flip, and reads the byte back into `seen`.
    private const ulong Target = 0x4000_0010;

    private static Kernel Flipper(FaultRule[] rules, List<ulong> seen, ISchedulingPolicy? policy = null)
    {
        var k = new Kernel(FaultRig.Config(rules: rules), policy);
        k.Spawn("victim", sys =>
        {
            ulong page = sys.Map(Page, Protection.ReadWrite, Target & ~(Page - 1));
            sys.Memory.WriteByte(Target, 0x41);
            sys.Sleep(30);
            sys.Syscall(SyscallNumber.Time); // a scheduling point after the flip's tick: the flip happens here
            seen.Add(sys.Memory.ReadByte(Target));
            seen.Add(page);
            return 0;
        });
        return k;
    }

    [Fact]
    public void A_flip_changes_one_bit_of_the_mapped_byte()
    {
        var seen = new List<ulong>();
        FaultRule[] rules = [new FlipFaultRule(1, Target, 3, 10)];
        Kernel k = Flipper(rules, seen);
        (RunResult r, EventLog log) = k.RunBalanced();
        seen[0].ShouldBe(0x49UL);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldStartWith($"flip pid 1 addr 0x{Target:x} bit 3 at tick ");
        inject.Text.ShouldContain(": 0x41 -> 0x49 (frame ");
        FaultRig.Replay(p => Flipper(rules, [], p), log, r).ShouldBeNull();
    }

    [Fact]
    public void A_flip_keeps_the_accessed_and_dirty_bits_and_fills_no_TLB_entry()
    {
        var k = FaultRig.Boot(new FlipFaultRule(1, Target, 0, 5));
        ulong before = 0, after = 0;
        bool cachedAfter = true;
        k.Spawn("victim", sys =>
        {
            sys.Map(Page, Protection.Read, Target & ~(Page - 1)); // never touched: A and D clear
            var space = (PagedAddressSpace)k.FindProcess(1)!.AddressSpace;
            before = space.QueryEntry(Target);
            sys.Sleep(10);
            sys.Syscall(SyscallNumber.Time); // the scheduling point where the flip happens
            after = space.QueryEntry(Target);
            cachedAfter = k.Machine.Mmu.Tlb.Contains(Target);
            return (long)sys.Memory.ReadByte(Target);
        });
        (RunResult r, _) = k.RunBalanced();
        after.ShouldBe(before);
        (after & Hardware.Paging.Pte.Accessed).ShouldBe(0UL);
        cachedAfter.ShouldBeFalse();
        r.Processes.Single().ExitStatus.ShouldBe(1, "the zeroed byte now reads 1");
    }

    [Fact]
    public void A_flip_at_an_unmapped_address_records_that_it_found_nothing_to_flip()
    {
        var seen = new List<ulong>();
        Kernel k = Flipper([new FlipFaultRule(1, 0x5000_0000, 1, 10)], seen);
        (_, EventLog log) = k.RunBalanced();
        seen[0].ShouldBe(0x41UL);
        log.Injections().ShouldHaveSingleItem().Text.ShouldEndWith(": not mapped, nothing flipped");
    }

    // Receiver (pid 1) with a handler for type 7 that pauses; sender (pid 2) sends one page at once.
    private static Kernel Pair(FaultRule[] rules, List<long> handledAt, ISchedulingPolicy? policy = null)
    {
        var k = new Kernel(FaultRig.Config(rules: rules), policy);
        k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(7, (s, m) => { handledAt.Add(s.Time); return true; });
            sys.Pause();
            return 0;
        });
        k.Spawn("sender", sys =>
        {
            ulong page = sys.Map(Page);
            sys.Memory.WriteUInt64(page, 1);
            return sys.Send(1, 7, page, 1, SendFlags.None) == 1 ? 0 : 1;
        });
        return k;
    }

    [Fact]
    public void A_delay_holds_the_nth_delivery_back_by_its_ticks()
    {
        var plain = new List<long>();
        Pair([], plain).RunBalanced();
        var delayed = new List<long>();
        FaultRule[] rules = [new DelayFaultRule(1, 50)];
        Kernel k = Pair(rules, delayed);
        (RunResult r, EventLog log) = k.RunBalanced();
        delayed.ShouldHaveSingleItem().ShouldBeGreaterThanOrEqualTo(plain.Single() + 50);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldBe("delay delivery #1 (type 7 from pid 2) by 50 ticks");
        inject.Pid.ShouldBe(1);
        log.Events.Single(e => e.Kind == EventKind.Delivery).Tick.ShouldBeGreaterThanOrEqualTo(inject.Tick + 50);
        r.Processes.ShouldAllBe(p => p.ExitStatus == 0);
        FaultRig.Replay(p => Pair(rules, [], p), log, r).ShouldBeNull();
    }

    [Fact]
    public void A_delay_of_a_delivery_that_never_happens_injects_nothing()
    {
        (_, EventLog log) = Pair([new DelayFaultRule(2, 5)], []).RunBalanced();
        log.Injections().ShouldBeEmpty();
    }

    [Fact]
    public void Skipping_a_TLB_invalidation_leaves_a_stale_translation_that_still_reaches_the_freed_frame()
    {
        // Probe: how many invalidations the kernel made before the unmap.
        long before = -1;
        var probe = FaultRig.Boot();
        probe.Spawn("p", sys =>
        {
            ulong page = sys.Map(Page);
            sys.Memory.WriteUInt64(page, 0x5EC12E7);
            before = probe.Machine.Mmu.Tlb.Invalidations;
            sys.Unmap(page, Page);
            return 0;
        });
        probe.RunBalanced();
        before.ShouldBeGreaterThanOrEqualTo(0);

        var k = FaultRig.Boot(new KernelBugFaultRule(KernelBugNames.SkipTlbFlush, before + 1));
        ulong stale = 0;
        bool cached = false;
        Process p = k.Spawn("p", sys =>
        {
            ulong page = sys.Map(Page);
            sys.Memory.WriteUInt64(page, 0x5EC12E7);
            sys.Unmap(page, Page);
            cached = k.Machine.Mmu.Tlb.Contains(page);
            stale = sys.Memory.ReadUInt64(page); // through the stale entry: a use after free, no fault
            return 0;
        });
        (_, EventLog log) = k.RunLogged();
        cached.ShouldBeTrue();
        stale.ShouldBe(0x5EC12E7UL);
        p.Faults.ShouldBeEmpty();
        log.Injections().ShouldHaveSingleItem().Text.ShouldStartWith($"kernel-bug skip-tlb-flush #{before + 1}: invalidation of 0x");
    }

    [Fact]
    public void Without_the_bug_the_same_read_after_unmap_faults()
    {
        var k = FaultRig.Boot();
        Process p = k.Spawn("p", sys =>
        {
            ulong page = sys.Map(Page);
            sys.Memory.WriteUInt64(page, 1);
            sys.Unmap(page, Page);
            return (long)sys.Memory.ReadUInt64(page);
        });
        k.RunBalanced();
        p.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.NotPresent);
    }

    [Fact]
    public void Every_tick_rule_together_is_deterministic_and_balances()
    {
        FaultRule[] rules =
        [
            new PreemptFaultRule(3), new CrashFaultRule(2, 25), new KillFaultRule(1, Tick: 30, SyscallNth: null),
            new RandomFaultRule(0.2, FaultKinds.Preempt),
        ];
        Kernel k1 = Loopers(rules);
        (RunResult r1, EventLog log1) = k1.RunBalanced();
        Kernel k2 = Loopers(rules);
        (_, EventLog log2) = k2.RunBalanced();
        FaultRig.Text(k2, log2).ShouldBe(FaultRig.Text(k1, log1));
        log1.Injections().Count.ShouldBeGreaterThan(3);
        log1.Injections().ShouldContain(e => e.Text!.StartsWith("random: preempt"));
        FaultRig.Replay(p => Loopers(rules, p), log1, r1).ShouldBeNull();
    }
}
