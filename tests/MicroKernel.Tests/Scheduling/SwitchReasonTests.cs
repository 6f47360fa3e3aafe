using MicroKernel.Faults;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// Every switch of the CPU says why, in its trace event: a yield, a quantum's end, a sleep, a wait (named after what
/// it waits for), an exit, an injected preemption. The first dispatch of a run has no previous thread: no event.
/// </summary>
public class SwitchReasonTests
{
    private static List<string> Switches(EventLog log) =>
        [.. log.Events.Where(e => e.Kind == EventKind.Switch).Select(e => $"{e.Tick} {e.Tid}>{e.A0} {e.Text}")];

    [Fact]
    public void Each_way_of_giving_up_the_cpu_is_named_in_its_switch_event()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, Quantum = 4 });
        k.Spawn("a", sys =>
        {
            int t = sys.CreateThread((s, arg) =>
            {
                s.Sleep(2);
                return 0;
            });
            sys.Yield();
            sys.Join(t);
            return 0;
        });
        k.Spawn("b", sys =>
        {
            for (int i = 0; i < 6; i++) _ = sys.Time;
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        // main (tid 1) creates tid 3 at tick 1; b is tid 2. The run's switch count has the first dispatch too.
        r.Switches.ShouldBe(7);
        Switches(log).ShouldBe(
        [
            "2 1>2 yield",
            "6 2>3 preempt", // b's four ticks (3 to 6) are its quantum
            "7 3>1 sleep",
            "8 1>2 block: join tid 3",
            "10 2>3 exit", // the sleeper woke at tick 9, behind main's join
            "10 3>1 exit",
        ]);
    }

    [Fact]
    public void An_injected_preemption_switches_at_exactly_its_tick()
    {
        static Kernel Loopers(long tick)
        {
            var k = new Kernel(new KernelConfig { Frames = 64, Quantum = 100, Faults = new FaultPlan([new PreemptFaultRule(tick)]) });
            foreach (string name in new[] { "a", "b" })
                k.Spawn(name, sys =>
                {
                    for (int i = 0; i < 10; i++) _ = sys.Time;
                    return 0;
                });
            return k;
        }
        var (r, log) = Loopers(5).RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        // The quantum (100) would never end a slice here: the rule's switch is the only preemption, at tick 5 itself.
        Switches(log).ShouldBe(["5 1>2 injected preempt", "15 2>1 exit"]);
        r.Switches.ShouldBe(3);
    }
}
