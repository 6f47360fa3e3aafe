using MicroKernel.Processes;
using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Core;

/// <summary>A scheduling policy given to the kernel's constructor is the one it schedules by, whatever the config names.</summary>
public sealed class GivenPolicyTests
{
    [Fact]
    public void A_given_round_robin_policy_wins_over_the_configs_priority_policy()
    {
        var config = new KernelConfig { Frames = 512, MaxTicks = 200_000, Policy = PolicyKind.Priority };
        using var k = new Kernel(config, new RoundRobinPolicy(config.Quantum));
        var order = new List<string>();
        k.Spawn("first", sys =>
        {
            for (int i = 0; i < 5; i++)
            {
                order.Add("first");
                sys.Yield();
            }
            return 0;
        }, priority: 5);
        k.Spawn("second", sys =>
        {
            order.Add("second");
            return 0;
        }, priority: 0);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        // Round robin: the first yield hands the CPU to the other program, whichever priority each has.
        order.ShouldBe(["first", "second", "first", "first", "first", "first"]);
    }
}
