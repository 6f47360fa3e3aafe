using MicroKernel.Processes;
using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// The contract of <see cref="ISchedulingPolicy"/>, the public face of a policy (a new policy implements it): its
/// name for traces, the count of ready threads it holds, the order it hands them out in, and when it asks for a
/// preemption. Driven with real threads of a kernel that has not run yet.
/// </summary>
public class PolicyContractTests
{
    // Three threads of priorities 1, 5 and 5 (in that order of tids), none dispatched.
    private static SimThread[] Threads()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        return [.. new[] { ("low", 1), ("high", 5), ("high2", 5) }.Select(x => k.Spawn(x.Item1, _ => 0, priority: x.Item2).Threads[0])];
    }

    public static TheoryData<string> Names => new() { "round-robin", "priority", "random" };

    private static ISchedulingPolicy Make(string name) => name switch
    {
        "round-robin" => new RoundRobinPolicy(4),
        "priority" => new FixedPriorityPolicy(4),
        _ => new RandomPolicy(3, 4),
    };

    [Theory]
    [MemberData(nameof(Names))]
    public void A_policy_counts_what_it_holds_and_hands_out_each_thread_once(string name)
    {
        ISchedulingPolicy policy = Make(name);
        policy.Name.ShouldBe(name);
        SimThread[] threads = Threads();
        policy.ReadyCount.ShouldBe(0);
        policy.TakeNext().ShouldBeNull();
        foreach (SimThread t in threads) policy.Add(t);
        policy.ReadyCount.ShouldBe(3);
        var taken = new List<SimThread>();
        for (int i = 3; i > 0; i--)
        {
            taken.Add(policy.TakeNext().ShouldNotBeNull());
            policy.ReadyCount.ShouldBe(i - 1);
        }
        policy.TakeNext().ShouldBeNull();
        policy.ReadyCount.ShouldBe(0);
        taken.ShouldBe(threads, ignoreOrder: true);
    }

    [Theory]
    [InlineData(PolicyKind.RoundRobin, "round-robin")]
    [InlineData(PolicyKind.Priority, "priority")]
    [InlineData(PolicyKind.Random, "random")]
    public void The_kernel_uses_the_policy_its_config_names(PolicyKind kind, string name)
    {
        new Kernel(new KernelConfig { Frames = 64, Policy = kind }).Scheduler.Policy.Name.ShouldBe(name);
    }

    [Fact]
    public void Fixed_priority_hands_out_the_most_urgent_first_and_equals_in_arrival_order()
    {
        var policy = new FixedPriorityPolicy(4);
        SimThread[] t = Threads();
        policy.Add(t[0]);
        policy.Add(t[2]);
        policy.Add(t[1]);
        policy.TakeNext().ShouldBe(t[2]);
        // A level emptied and filled again keeps its place above the lower one.
        policy.Add(t[2]);
        policy.TakeNext().ShouldBe(t[1]);
        policy.TakeNext().ShouldBe(t[2]);
        policy.TakeNext().ShouldBe(t[0]);
        policy.ReadyCount.ShouldBe(0);
    }

    [Fact]
    public void Fixed_priority_asks_for_a_preemption_only_for_a_more_urgent_thread_or_an_equal_past_its_quantum()
    {
        var policy = new FixedPriorityPolicy(4);
        SimThread[] t = Threads();
        policy.ShouldPreempt(t[1], 100).ShouldBeFalse("nothing is ready");
        policy.Add(t[0]);
        policy.ShouldPreempt(t[1], 100).ShouldBeFalse("only a less urgent thread is ready");
        policy.Add(t[2]);
        policy.ShouldPreempt(t[1], 3).ShouldBeFalse("an equal within the quantum");
        policy.ShouldPreempt(t[1], 4).ShouldBeTrue("an equal at the quantum");
        policy.ShouldPreempt(t[0], 0).ShouldBeTrue("a more urgent one at once");
        // Once the urgent level is empty again, only the less urgent thread is left.
        policy.TakeNext().ShouldBe(t[2]);
        policy.ShouldPreempt(t[1], 100).ShouldBeFalse();
        policy.ShouldPreempt(t[0], 3).ShouldBeFalse();
        policy.ShouldPreempt(t[0], 4).ShouldBeTrue();
    }
}
