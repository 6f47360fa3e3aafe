using System.Text.RegularExpressions;
using MicroKernel.Faults;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// Page-send deliveries held back by <c>delay</c> and <c>random</c> rules: released at their time whether the CPU is busy
/// or idle, each at its own time when several are held, random delays of 1 to 16 ticks, nothing held for 0 ticks.
/// </summary>
public partial class HeldDeliveryTests
{
    private const ulong Page = 4096;

    // Receivers (pids 1..receivers) each handle type 7 once, recording the tick; then the sender sends one page to
    // each in pid order; with `busy`, a last process keeps the CPU busy for that many ticks.
    private static Kernel Run(int receivers, Dictionary<int, long> handledAt, int busy, params FaultRule[] rules)
    {
        var k = FaultRig.Boot(rules);
        for (int n = 0; n < receivers; n++)
            k.Spawn($"receiver{n + 1}", sys =>
            {
                sys.RegisterHandler(7, (s, m) => { handledAt[s.Pid] = s.Time; return true; });
                sys.Pause();
                return 0;
            });
        k.Spawn("sender", sys =>
        {
            for (int to = 1; to <= receivers; to++)
            {
                ulong page = sys.Map(Page);
                sys.Memory.WriteUInt64(page, (ulong)to);
                if (sys.Send(to, 7, page, 1, SendFlags.None) != 1) return 1;
            }
            return 0;
        });
        if (busy > 0)
            k.Spawn("busy", sys =>
            {
                for (int i = 0; i < busy; i++) sys.Syscall(SyscallNumber.Time);
                return 0;
            });
        return k;
    }

    [GeneratedRegex(@"^(random: )?delay delivery #(\d+) \(type 7 from pid (\d+)\) by (\d+) ticks$")]
    private static partial Regex DelayText();

    // Each Inject event of a delay: (receiver pid, tick it was held, ticks held).
    private static List<(int Pid, long Tick, long Ticks)> Holds(EventLog log) =>
        [.. log.Injections().Select(e =>
        {
            Match m = DelayText().Match(e.Text!);
            m.Success.ShouldBeTrue(e.Text);
            return (e.Pid, e.Tick, long.Parse(m.Groups[4].Value, CultureInfo.InvariantCulture));
        })];

    [Fact]
    public void A_held_delivery_is_released_at_its_time_while_another_process_keeps_the_CPU_busy()
    {
        var handled = new Dictionary<int, long>();
        (RunResult r, EventLog log) = Run(1, handled, busy: 200, new DelayFaultRule(1, 30)).RunBalanced();
        (int pid, long tick, long ticks) = Holds(log).ShouldHaveSingleItem();
        (pid, ticks).ShouldBe((1, 30L));
        // Released by the busy process's own scheduling point at the due tick, not when the CPU next goes idle.
        handled[1].ShouldBeInRange(tick + 30, tick + 40);
        r.Ticks.ShouldBeGreaterThan(200);
    }

    [Fact]
    public void Several_held_deliveries_are_each_released_at_their_own_time_on_an_idle_CPU()
    {
        var handled = new Dictionary<int, long>();
        // Delivery #1 (to pid 1) is held longer than #2 (to pid 2): the idle CPU jumps to the earlier one first.
        (_, EventLog log) = Run(2, handled, busy: 0, new DelayFaultRule(1, 60), new DelayFaultRule(2, 5)).RunBalanced();
        List<(int Pid, long Tick, long Ticks)> holds = Holds(log);
        holds.Select(h => (h.Pid, h.Ticks)).ShouldBe([(1, 60L), (2, 5L)]);
        foreach ((int pid, long tick, long ticks) in holds) handled[pid].ShouldBeInRange(tick + ticks, tick + ticks + 3);
        handled[2].ShouldBeLessThan(handled[1]);
    }

    [Fact]
    public void A_random_delay_holds_a_delivery_1_to_16_ticks()
    {
        var seen = new HashSet<long>();
        for (ulong seed = 1; seed <= 12; seed++)
        {
            var handled = new Dictionary<int, long>();
            var k = new Kernel(FaultRig.Config(seed: seed, rules: [new RandomFaultRule(1.0, FaultKinds.Delay)]));
            k.Spawn("receiver", sys =>
            {
                sys.RegisterHandler(7, (s, m) => { handled[s.Pid] = s.Time; return true; });
                sys.Pause();
                return 0;
            });
            k.Spawn("sender", sys =>
            {
                ulong page = sys.Map(Page);
                return sys.Send(1, 7, page, 1, SendFlags.None) == 1 ? 0 : 1;
            });
            (_, EventLog log) = k.RunBalanced();
            KernelEvent inject = log.Injections().ShouldHaveSingleItem();
            inject.Text.ShouldStartWith("random: delay delivery #1 (type 7 from pid 2) by ");
            (int pid, long tick, long ticks) = Holds(log).Single();
            pid.ShouldBe(1);
            ticks.ShouldBeInRange(1, 16);
            handled[1].ShouldBeInRange(tick + ticks, tick + ticks + 3);
            seen.Add(ticks);
        }
        seen.Count.ShouldBeGreaterThan(3, "the delays are drawn, not fixed");
    }

    [Fact]
    public void A_delay_of_zero_ticks_holds_nothing()
    {
        var plain = new Dictionary<int, long>();
        Run(1, plain, busy: 0).RunBalanced();
        var handled = new Dictionary<int, long>();
        (_, EventLog log) = Run(1, handled, busy: 0, new DelayFaultRule(1, 0)).RunBalanced(); // only code can build it
        log.Injections().ShouldBeEmpty();
        handled.ShouldBe(plain);
    }

    [Fact]
    public void A_receiver_killed_while_its_delivery_is_held_is_not_woken_for_it()
    {
        var handled = new Dictionary<int, long>();
        Kernel k = Run(1, handled, busy: 100, new DelayFaultRule(1, 50), new KillFaultRule(1, Tick: 20, SyscallNth: null));
        (RunResult r, EventLog log) = k.RunBalanced();
        handled.ShouldBeEmpty();
        log.Injections().Select(e => e.Text).ShouldBe(["delay delivery #1 (type 7 from pid 2) by 50 ticks", "kill pid 1 at tick 20"]);
        r.Processes.Single(p => p.Pid == 1).ExitStatus.ShouldBe(Kernel.KilledStatus);
        r.Processes.Where(p => p.Pid != 1).ShouldAllBe(p => p.ExitStatus == 0);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Delivery);
    }
}
