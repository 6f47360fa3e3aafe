using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// When and on whom the tick rules fire: exactly at their tick when a scheduling point falls on it, in time order
/// whatever the plan's order, on the thread the rule means, and with a recorded "nothing" when the process is gone.
/// </summary>
public class TickRuleTimingTests
{
    private const ulong Page = 4096;
    private const ulong Target = 0x4000_0010;

    // pid 1: maps the page of Target, writes 0x41 there, makes `calls` time syscalls (one tick each), reads it back.
    private static (Kernel Kernel, List<long> Seen) Looper(int calls, params FaultRule[] rules)
    {
        var k = FaultRig.Boot(rules);
        var seen = new List<long>();
        k.Spawn("looper", sys =>
        {
            sys.Map(Page, Protection.ReadWrite, Target & ~(Page - 1));
            sys.Memory.WriteByte(Target, 0x41);
            for (int i = 0; i < calls; i++) sys.Syscall(SyscallNumber.Time);
            seen.Add(sys.Memory.ReadByte(Target));
            return 0;
        });
        return (k, seen);
    }

    [Fact]
    public void A_flip_fires_at_its_very_tick_and_flipping_a_set_bit_clears_it()
    {
        (Kernel k, List<long> seen) = Looper(20, new FlipFaultRule(1, Target, 0, 8));
        (_, EventLog log) = k.RunBalanced();
        seen.ShouldBe([0x40L]);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Tick.ShouldBe(8);
        inject.Text.ShouldStartWith($"flip pid 1 addr 0x{Target:x} bit 0 at tick 8: 0x41 -> 0x40 (frame ");
    }

    [Fact]
    public void Two_flips_of_one_bit_give_the_byte_back()
    {
        (Kernel k, List<long> seen) = Looper(20, new FlipFaultRule(1, Target, 6, 5), new FlipFaultRule(1, Target, 6, 9));
        (_, EventLog log) = k.RunBalanced();
        seen.ShouldBe([0x41L]);
        log.Injections().Select(e => (e.Tick, e.Code)).ShouldBe([(5L, 0L), (9L, 1L)]);
        log.Injections()[0].Text!.ShouldContain(": 0x41 -> 0x01 (frame ");
        log.Injections()[1].Text!.ShouldContain(": 0x01 -> 0x41 (frame ");
    }

    [Fact]
    public void Tick_rules_fire_in_time_order_whatever_their_order_in_the_plan()
    {
        (Kernel k, _) = Looper(30, new KillFaultRule(1, Tick: 25, SyscallNth: null), new FlipFaultRule(1, Target, 1, 12), new PreemptFaultRule(4));
        (RunResult r, EventLog log) = k.RunBalanced();
        log.Injections().Select(e => (e.Tick, e.Code)).ShouldBe([(4L, 2L), (12L, 1L), (25L, 0L)]);
        r.Processes.Single().ExitStatus.ShouldBe(Kernel.KilledStatus);
    }

    [Fact]
    public void Rules_on_a_pid_the_run_never_had_record_that_they_found_nothing()
    {
        (Kernel k, _) = Looper(20, new KillFaultRule(9, Tick: 5, SyscallNth: null), new CrashFaultRule(9, 6), new FlipFaultRule(9, Target, 0, 7));
        (RunResult r, EventLog log) = k.RunBalanced();
        log.Injections().Select(e => e.Text).ShouldBe(
        [
            "kill pid 9 at tick 5: no running process, nothing killed",
            "crash pid 9 at tick 6: no running thread, nothing crashed",
            $"flip pid 9 addr 0x{Target:x} bit 0 at tick 7: not mapped, nothing flipped",
        ]);
        log.Injections().ShouldAllBe(e => e.Pid == 9 && e.Tid == 0);
        r.Processes.Single().ExitStatus.ShouldBe(0);
    }

    [Fact]
    public void A_crash_or_flip_of_a_process_that_already_ended_finds_nothing()
    {
        var k = FaultRig.Boot(new CrashFaultRule(1, 20), new FlipFaultRule(1, Target, 0, 21));
        k.Spawn("short", sys =>
        {
            sys.Map(Page, Protection.ReadWrite, Target & ~(Page - 1));
            return 0;
        });
        k.Spawn("long", sys =>
        {
            for (int i = 0; i < 40; i++) sys.Syscall(SyscallNumber.Time);
            return 0;
        });
        (RunResult r, EventLog log) = k.RunBalanced();
        log.Injections().Select(e => e.Text).ShouldBe(
        [
            "crash pid 1 at tick 20: no running thread, nothing crashed",
            $"flip pid 1 addr 0x{Target:x} bit 0 at tick 21: not mapped, nothing flipped",
        ]);
        r.Processes.ShouldAllBe(p => p.ExitStatus == 0);
    }

    [Fact]
    public void A_crash_of_a_process_that_is_not_running_faults_its_lowest_live_thread()
    {
        var k = FaultRig.Boot(new CrashFaultRule(2, 20));
        k.Spawn("busy", sys =>
        {
            for (int i = 0; i < 40; i++) sys.Syscall(SyscallNumber.Time);
            return 0;
        });
        Process waiting = k.Spawn("waiting", sys =>
        {
            int tid = sys.CreateThread((s, _) =>
            {
                s.Sleep(100);
                return 0;
            });
            return sys.Join(tid); // tid 2 blocks here, tid 3 sleeps: pid 1 runs at tick 20
        });
        (_, EventLog log) = k.RunBalanced();
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldBe("crash pid 2 tid 2 at tick 20");
        inject.Tid.ShouldBe(2);
        waiting.ExitStatus.ShouldBe(128 + (int)FaultReason.Injected);
        waiting.Faults.ShouldHaveSingleItem().Tid.ShouldBe(2);
    }

    [Fact]
    public void A_crash_of_the_running_process_faults_the_running_thread_not_the_lowest()
    {
        var k = FaultRig.Boot(new CrashFaultRule(1, 10));
        Process p = k.Spawn("threads", sys =>
        {
            int tid = sys.CreateThread((s, _) =>
            {
                for (int i = 0; i < 40; i++) s.Syscall(SyscallNumber.Time);
                return 0;
            });
            return sys.Join(tid); // tid 1 blocks; tid 2 runs at tick 10
        });
        (_, EventLog log) = k.RunBalanced();
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("crash pid 1 tid 2 at tick 10");
        p.Faults.ShouldHaveSingleItem().Tid.ShouldBe(2);
    }
}
