using MicroKernel.Scheduling;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// How long a thread keeps the CPU under each policy, to the tick: every syscall is one scheduling point (one tick), so
/// a program that only asks the time shows exactly when it was preempted (the value jumps by the other's slice).
/// </summary>
public class QuantumTests
{
    // Runs two (or more) processes that each ask the time `calls` times; returns the order in which the calls ran, as
    // the letter of the process that made each one ("aabbaabb...").
    private static string Interleave(KernelConfig config, int calls, params int[] priorities)
    {
        var k = new Kernel(config);
        var order = new System.Text.StringBuilder();
        for (int i = 0; i < priorities.Length; i++)
        {
            char me = (char)('a' + i);
            k.Spawn(me.ToString(), sys =>
            {
                for (int c = 0; c < calls; c++)
                {
                    _ = sys.Time;
                    order.Append(me);
                }
                return 0;
            }, priority: priorities[i]);
        }
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        return order.ToString();
    }

    // The lengths of the runs of one letter in `order`, first to last.
    private static List<int> Runs(string order)
    {
        var runs = new List<int>();
        for (int i = 0; i < order.Length;)
        {
            int j = i;
            while (j < order.Length && order[j] == order[i]) j++;
            runs.Add(j - i);
            i = j;
        }
        return runs;
    }

    private static IEnumerable<int> Middle(List<int> runs) => runs.Skip(2).SkipLast(2);

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(5)]
    public void Round_robin_preempts_after_exactly_the_quantum(int quantum)
    {
        string order = Interleave(new KernelConfig { Frames = 64, Quantum = quantum }, 4 * quantum, 0, 0);
        List<int> runs = Runs(order);
        runs.Count.ShouldBeGreaterThan(4, order);
        // The call a preemption interrupts finishes when its thread runs again, so the second thread's first run is one
        // call short; the last two are cut by the end. Every run between lasts one quantum of calls.
        Middle(runs).ShouldAllBe(n => n == quantum, order);
    }

    [Fact]
    public void Round_robin_never_preempts_a_thread_that_is_alone()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, Quantum = 1 });
        k.Spawn("alone", sys =>
        {
            for (int c = 0; c < 50; c++) _ = sys.Time;
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        log.Events.ShouldNotContain(e => e.Kind == MicroKernel.Tracing.EventKind.Switch);
        r.Switches.ShouldBe(1, "the one dispatch that started it");
    }

    [Fact]
    public void Fixed_priority_shares_the_cpu_between_equals_by_quantum()
    {
        string order = Interleave(new KernelConfig { Frames = 64, Quantum = 3, Policy = PolicyKind.Priority }, 12, 2, 2);
        order.ShouldBe("aabbaaabbbaaabbbaaabbbab");
    }

    [Fact]
    public void Fixed_priority_never_preempts_for_a_less_urgent_thread()
    {
        // b and c are ready from the start but less urgent: a runs every call first, then b and c share by quantum.
        string order = Interleave(new KernelConfig { Frames = 64, Quantum = 2, Policy = PolicyKind.Priority }, 8, 5, 1, 1);
        order.ShouldStartWith(new string('a', 8));
        order.ShouldBe("aaaaaaaabcbbccbbccbbccbc");
    }

    [Fact]
    public void Fixed_priority_runs_the_more_urgent_of_two_ready_threads_first_whatever_their_order()
    {
        Interleave(new KernelConfig { Frames = 64, Quantum = 2, Policy = PolicyKind.Priority }, 4, 1, 3, 2)
            .ShouldBe("bbbbccccaaaa");
    }

    [Fact]
    public void Random_with_a_quantum_of_one_preempts_at_every_scheduling_point_and_zero_counts_as_one()
    {
        string one = Interleave(new KernelConfig { Frames = 64, Quantum = 1, Policy = PolicyKind.Random, Seed = 5 }, 30, 0, 0);
        string zero = Interleave(new KernelConfig { Frames = 64, Quantum = 0, Policy = PolicyKind.Random, Seed = 5 }, 30, 0, 0);
        zero.ShouldBe(one);
        // The next thread is drawn from both (the preempted one is ready again), so even a quantum of one leaves runs of
        // several calls; a quantum of 8 (a one-in-8 chance per call) leaves longer ones.
        string eight = Interleave(new KernelConfig { Frames = 64, Quantum = 8, Policy = PolicyKind.Random, Seed = 5 }, 30, 0, 0);
        Runs(eight).Average().ShouldBeGreaterThan(Runs(one).Average() + 2, $"{one} {eight}");
    }

    [Fact]
    public void A_random_schedule_is_the_same_on_every_host_for_its_seed()
    {
        // The interleaving a seed gives is part of a recorded run: the draws come from SplitMix64, the same sequence
        // on every .NET version, and a thread alone draws nothing (main's first calls, before its threads exist, leave
        // the sequence where this records it).
        var k = new Kernel(new KernelConfig { Frames = 64, Quantum = 2, Policy = PolicyKind.Random, Seed = 42 });
        var order = new System.Text.StringBuilder();
        k.Spawn("main", sys =>
        {
            for (int c = 0; c < 6; c++) { _ = sys.Time; order.Append('m'); }
            int[] tids = [.. "ab".Select(me => sys.CreateThread((s, arg) =>
            {
                for (int c = 0; c < 8; c++) { _ = s.Time; order.Append(me); }
                return 0;
            }))];
            for (int c = 0; c < 8; c++) { _ = sys.Time; order.Append('m'); }
            foreach (int t in tids) sys.Join(t);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        order.ToString().ShouldBe(Golden);
    }

    private const string Golden = "mmmmmmbaaaaaaaammmmmmmmbbbbbbb";
}
