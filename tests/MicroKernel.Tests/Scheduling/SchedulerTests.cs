using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

public class SchedulerTests
{
    [Theory]
    [InlineData(PolicyKind.RoundRobin)]
    [InlineData(PolicyKind.Priority)]
    [InlineData(PolicyKind.Random)]
    public void Exactly_one_simulated_thread_runs_at_a_time(PolicyKind policy)
    {
        var k = TestKernels.Boot(policy: policy, accessesPerTick: 3);
        int violations = 0, inside = 0;
        long Work(Sys sys)
        {
            ulong page = sys.Map(4096);
            int tid = sys.Tid;
            for (ulong i = 0; i < 300; i++)
            {
                // The test host (which holds the kernel) checks that the scheduler's current thread is this one.
                if (Interlocked.Increment(ref inside) != 1 || k.Scheduler.Current?.Tid != tid) Interlocked.Increment(ref violations);
                Interlocked.Decrement(ref inside);
                sys.Memory.WriteUInt64(page + (i % 512) * 8, i); // a scheduling point every 3 accesses
            }
            return 0;
        }
        for (int p = 0; p < 4; p++)
            k.Spawn($"p{p}", sys =>
            {
                int t = sys.CreateThread((s, _) => Work(s));
                Work(sys);
                return sys.Join(t);
            });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        violations.ShouldBe(0);
        log.Events.Count(e => e.Kind == EventKind.Switch && e.Text == "preempt").ShouldBeGreaterThan(10);
        k.ShouldBalance();
    }

    [Fact]
    public void Round_robin_preempts_a_compute_loop_that_makes_no_syscalls()
    {
        var k = TestKernels.Boot(accessesPerTick: 8);
        var order = new List<int>();
        for (int p = 0; p < 2; p++)
            k.Spawn($"loop{p}", sys =>
            {
                ulong page = sys.Map(4096);
                int me = sys.Pid;
                for (ulong i = 0; i < 400; i++)
                {
                    sys.Memory.WriteUInt64(page, i);
                    if (order.Count == 0 || order[^1] != me) order.Add(me);
                }
                return 0;
            });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        order.Count.ShouldBeGreaterThan(4, "the two loops must interleave");
    }

    [Fact]
    public void Fixed_priority_runs_the_most_urgent_thread_first_and_a_woken_urgent_thread_preempts()
    {
        var k = TestKernels.Boot(policy: PolicyKind.Priority, accessesPerTick: 4);
        var log = new List<string>();
        k.Spawn("low", sys =>
        {
            ulong page = sys.Map(4096);
            for (ulong i = 0; i < 200; i++) sys.Memory.WriteUInt64(page, i);
            log.Add($"low done at {sys.Time}");
            return 0;
        }, priority: 1);
        k.Spawn("high", sys =>
        {
            log.Add("high first");
            sys.Sleep(5);
            log.Add($"high woke at {sys.Time}");
            return 0;
        }, priority: 5);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        log[0].ShouldBe("high first");
        log[1].ShouldStartWith("high woke");
        log[2].ShouldStartWith("low done");
    }

    [Fact]
    public void Same_seed_gives_the_same_interleaving_and_other_seeds_explore_others()
    {
        static string Interleaving(ulong seed)
        {
            var k = TestKernels.Boot(policy: PolicyKind.Random, seed: seed, accessesPerTick: 2);
            var order = new System.Text.StringBuilder();
            for (int p = 0; p < 3; p++)
                k.Spawn($"p{p}", sys =>
                {
                    ulong page = sys.Map(4096);
                    int pid = sys.Pid;
                    for (ulong i = 0; i < 40; i++) { order.Append(pid); sys.Memory.WriteUInt64(page, i); }
                    return 0;
                });
            k.Run().Outcome.ShouldBe(RunOutcome.Completed);
            return order.ToString();
        }
        Interleaving(7).ShouldBe(Interleaving(7));
        Enumerable.Range(1, 6).Select(s => Interleaving((ulong)s)).Distinct().Count().ShouldBeGreaterThan(1);
    }

    [Fact]
    public void When_every_thread_sleeps_virtual_time_jumps_to_the_next_wake_up()
    {
        var k = TestKernels.Boot();
        long woke = 0;
        k.Spawn("sleeper", sys =>
        {
            long start = sys.Time;
            sys.Sleep(1000);
            woke = sys.Time - start;
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        woke.ShouldBeInRange(1000, 1002);
        log.Events.ShouldContain(e => e.Kind == EventKind.Idle);
    }

    [Fact]
    public void A_deadlock_is_reported_with_the_blocked_threads_and_does_not_hang()
    {
        var k = TestKernels.Boot();
        k.Spawn("deadlock");
        Process bystander = k.Spawn("hello");
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Deadlock);
        r.DeadlockReport.ShouldNotBeNull();
        r.DeadlockReport.ShouldContain("deadlock/main) waits for join tid");
        r.DeadlockReport.ShouldContain("deadlock/thread-1) waits for join tid");
        log.Events.ShouldContain(e => e.Kind == EventKind.Deadlock);
        bystander.ExitStatus.ShouldBe(0);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }

    [Fact]
    public void A_livelock_stops_at_the_tick_limit()
    {
        var k = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 500 });
        k.Spawn(new ManagedProgram("spin", () => new Spinner()), "spin", out Process? p);
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.TickLimit);
        p!.ExitStatus.ShouldBe(Kernel.KilledStatus);
        k.ShouldBalance();
    }

    [Fact]
    public void Killing_a_process_wakes_and_unwinds_its_blocked_and_sleeping_threads()
    {
        var k = TestKernels.Boot();
        Process p = k.Spawn("victim", sys =>
        {
            int sleeper = sys.CreateThread((s, _) => { s.Sleep(10_000); return 1; });
            int joiner = sys.CreateThread((s, arg) => s.Join((int)arg), (ulong)sleeper);
            sys.Yield();
            sys.Yield();
            ulong page = sys.Map(4096, Protection.Read);
            sys.Memory.WriteUInt64(page, 1); // faults: the whole process dies
            return 0;
        });
        Process other = k.Spawn("hello");
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Ticks.ShouldBeLessThan(10_000, "the sleeper must not be waited for");
        p.State.ShouldBe(ProcessState.Exited);
        p.ExitStatus.ShouldBe(128 + (int)Hardware.FaultReason.ReadOnly);
        p.Threads.ShouldBeEmpty();
        other.ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.Paging, PolicyKind.RoundRobin)]
    [InlineData(ProtectionModel.Paging, PolicyKind.Random)]
    [InlineData(ProtectionModel.ArmV7Mpu, PolicyKind.Priority)]
    [InlineData(ProtectionModel.ArmV8Mpu, PolicyKind.Random)]
    public void The_same_scenario_and_seed_produce_the_same_event_stream_byte_for_byte(ProtectionModel model, PolicyKind policy)
    {
        static string Run(ProtectionModel model, PolicyKind policy)
        {
            var k = TestKernels.Boot(model, policy, seed: 99, accessesPerTick: 16);
            foreach (string program in new[] { "hello", "sieve", "parallel-sum", "faulter", "sleeper" }) k.Spawn(program);
            var (r, log) = k.RunLogged();
            r.Outcome.ShouldBe(RunOutcome.Completed);
            var f = new EventFormatter(k.Syscalls);
            return string.Join("\n", log.Events.Select(e => $"{e.Seq} {f.Format(e)} {e.A0:x} {e.A1:x} {e.A2:x} {e.A3:x} {e.A4:x} {e.A5:x}"));
        }
        string first = Run(model, policy);
        first.Length.ShouldBeGreaterThan(1000);
        Run(model, policy).ShouldBe(first);
    }

    private sealed class Spinner : UserProgram
    {
        public override long Main(Sys sys)
        {
            while (true) sys.Yield();
        }
    }
}
