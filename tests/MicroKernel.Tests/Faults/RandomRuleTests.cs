using MicroKernel.Faults;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// <c>random</c> rules: several over the same kinds, random preemptions at every scheduling point (and none where a
/// preempt rule already switched), and only the kinds a plan names are asked at all.
/// </summary>
public class RandomRuleTests
{
    private const long Number = 202; // a test syscall with one documented error

    private static Kernel WithTestCall(params FaultRule[] rules)
    {
        var k = FaultRig.Boot(rules);
        k.Syscalls.Register(new SyscallInfo(Number, "test_call", [], (SimThread _, in SyscallArgs _) => 0) { Errors = [ErrorCode.QueueFull] });
        return k;
    }

    [Fact]
    public void Two_random_rules_over_syscalls_both_take_part_and_the_later_one_fires_when_the_first_does_not()
    {
        Kernel k = WithTestCall(new RandomFaultRule(0.0, FaultKinds.Syscall), new RandomFaultRule(1.0, FaultKinds.Syscall | FaultKinds.Delay));
        var results = new List<long>();
        k.Spawn("caller", sys =>
        {
            for (int i = 0; i < 3; i++) results.Add(sys.Syscall((SyscallNumber)Number));
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        results.ShouldAllBe(r => r == (long)ErrorCode.QueueFull);
        log.Injections().ShouldAllBe(e => e.Code == 1 && e.Text == "random: syscall test_call -> QueueFull");
        log.Injections().Count.ShouldBe(3);
        k.Injector.Injections.ShouldBe(3);
    }

    [Fact]
    public void Two_random_rules_over_frames_refuse_a_spawn_when_the_second_fires()
    {
        var k = FaultRig.Boot(new RandomFaultRule(0.0, FaultKinds.Frames), new RandomFaultRule(1.0, FaultKinds.Frames | FaultKinds.Preempt));
        var log = new EventLog();
        k.AddSink(log);
        int free = k.Frames.FreeCount;
        k.Spawn(new Userland.Loader.ManagedProgram("p", () => throw new InvalidOperationException("never built")), "p", out Process? p)
            .ShouldBe(ErrorCode.OutOfMemory);
        p.ShouldBeNull();
        k.Frames.FreeCount.ShouldBe(free);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldBe("random: frames #1 -> refused");
        (inject.Code, inject.Pid, inject.Tid).ShouldBe((1L, 0, 0), "no thread runs while the kernel spawns");
        k.Injector.Injections.ShouldBe(1);
    }

    [Fact]
    public void Only_the_kinds_a_plan_names_are_asked()
    {
        Kernel syscalls = FaultRig.Boot(new RandomFaultRule(0.5, FaultKinds.Syscall));
        syscalls.Injector.HasSyscallRules.ShouldBeTrue();
        syscalls.Injector.HasFrameRules.ShouldBeFalse();
        syscalls.Frames.Injector.ShouldBeNull();
        syscalls.Injector.NextDue.ShouldBe(long.MaxValue, "no scheduling point has anything to do");

        Kernel frames = FaultRig.Boot(new RandomFaultRule(0.5, FaultKinds.Frames));
        frames.Injector.HasFrameRules.ShouldBeTrue();
        frames.Injector.HasSyscallRules.ShouldBeFalse();
        frames.Frames.Injector.ShouldNotBeNull();

        Kernel preempt = FaultRig.Boot(new RandomFaultRule(0.5, FaultKinds.Preempt | FaultKinds.Delay));
        (preempt.Injector.HasFrameRules, preempt.Injector.HasSyscallRules, preempt.Injector.HasTlbRules).ShouldBe((false, false, false));
        preempt.Injector.NextDue.ShouldBe(long.MinValue, "every scheduling point may draw");
    }

    // Two processes that each make 10 time syscalls (one tick each).
    private static Kernel Loopers(params FaultRule[] rules)
    {
        var k = FaultRig.Boot(rules);
        for (int n = 0; n < 2; n++)
            k.Spawn($"p{n}", sys =>
            {
                for (int i = 0; i < 10; i++) sys.Syscall(SyscallNumber.Time);
                return 0;
            });
        return k;
    }

    [Fact]
    public void A_random_preemption_with_p_1_switches_at_every_scheduling_point()
    {
        Kernel k = Loopers(new RandomFaultRule(1.0, FaultKinds.Preempt));
        (_, EventLog log) = k.RunBalanced();
        List<KernelEvent> injections = log.Injections();
        injections.Count.ShouldBeGreaterThanOrEqualTo(20);
        injections.Select(e => e.Tick).ShouldBe(Enumerable.Range(1, injections.Count).Select(t => (long)t));
        // Each one switches the caller away (a switch to the other process while both live).
        foreach (KernelEvent inject in injections.Where(e => e.Tick < 15))
        {
            inject.Text.ShouldBe($"random: preempt tid {inject.Tid} at tick {inject.Tick}");
            log.Events.ShouldContain(e => e.Kind == EventKind.Switch && e.Tick == inject.Tick && e.Text == "injected preempt" && e.Tid == inject.Tid);
        }
    }

    [Fact]
    public void Where_a_preempt_rule_switches_no_random_preemption_is_drawn()
    {
        Kernel k = Loopers(new PreemptFaultRule(5), new RandomFaultRule(1.0, FaultKinds.Preempt));
        (_, EventLog log) = k.RunBalanced();
        List<KernelEvent> at5 = [.. log.Injections().Where(e => e.Tick == 5)];
        at5.ShouldHaveSingleItem().Code.ShouldBe(0);
        at5[0].Text.ShouldStartWith("preempt tid ");
        log.Injections().Where(e => e.Tick is >= 1 and <= 4).Select(e => e.Code).ShouldBe([1L, 1L, 1L, 1L]);
    }

    [Fact]
    public void Random_preemptions_follow_the_seed_and_a_seed_gives_one_run()
    {
        List<long> Ticks(ulong seed)
        {
            var k = new Kernel(FaultRig.Config(seed: seed, rules: [new RandomFaultRule(0.3, FaultKinds.Preempt)]));
            for (int n = 0; n < 2; n++)
                k.Spawn($"p{n}", sys =>
                {
                    for (int i = 0; i < 30; i++) sys.Syscall(SyscallNumber.Time);
                    return 0;
                });
            (_, EventLog log) = k.RunBalanced();
            return [.. log.Injections().Select(e => e.Tick)];
        }
        List<long> one = Ticks(4);
        one.Count.ShouldBeInRange(5, 40);
        Ticks(4).ShouldBe(one);
        Ticks(5).ShouldNotBe(one);
    }
}
