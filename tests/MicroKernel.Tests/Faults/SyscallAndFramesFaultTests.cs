using MicroKernel.Faults;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>The <c>syscall</c>, <c>frames</c> and <c>random</c> rules: refused calls and refused frame allocations.</summary>
public class SyscallAndFramesFaultTests
{
    private const ulong Page = 4096;

    // A program that maps three pages one call at a time, writes each, and returns how many maps succeeded; the
    // results land in `results`.
    private static Kernel Mapper(FaultRule[] rules, List<long> results, ISchedulingPolicy? policy = null, ProtectionModel model = ProtectionModel.Paging)
    {
        var k = new Kernel(FaultRig.Config(model, rules: rules), policy);
        // A frames rule may refuse the spawn itself: then the run has no process, which is a fine run too.
        k.Spawn(new Userland.Loader.ManagedProgram("mapper", () => new Lambda(sys =>
        {
            long ok = 0;
            for (int i = 0; i < 3; i++)
            {
                long r = sys.Syscall(SyscallNumber.Map, 0, Page, (ulong)Protection.ReadWrite);
                results.Add(r);
                if (r < 0) continue;
                sys.Memory.WriteUInt64((ulong)r, (ulong)i);
                ok++;
            }
            return ok;
        })), "mapper", out _);
        return k;
    }

    private sealed class Lambda(Func<Userland.Runtime.Sys, long> main) : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys) => main(sys);
    }

    [Fact]
    public void The_nth_call_of_a_syscall_returns_the_error_and_changes_nothing()
    {
        var results = new List<long>();
        Kernel k = Mapper([new SyscallFaultRule("map", 2, ErrorCode.OutOfMemory)], results);
        (RunResult r, EventLog log) = k.RunBalanced();

        results.Count.ShouldBe(3);
        results[1].ShouldBe((long)ErrorCode.OutOfMemory);
        results[0].ShouldBeGreaterThan(0);
        results[2].ShouldBe(results[0] + (long)Page, "the refused map took no address range");
        r.Processes.Single().ExitStatus.ShouldBe(2);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldBe("syscall map #2 -> OutOfMemory");
        inject.Code.ShouldBe(0);
        inject.Pid.ShouldBe(1);
        inject.Tid.ShouldBe(1);
        new EventFormatter(k.Syscalls).Format(inject).ShouldEndWith("INJECT syscall map #2 -> OutOfMemory");
        // Enter, Inject, Exit: the injection is decided inside the call, before its handler.
        int at = log.Events.ToList().IndexOf(inject);
        log.Events[at - 1].Kind.ShouldBe(EventKind.SyscallEnter);
        log.Events[at + 1].Kind.ShouldBe(EventKind.SyscallExit);
        log.Events[at + 1].Result.ShouldBe((long)ErrorCode.OutOfMemory);
    }

    [Fact]
    public void A_syscall_rule_with_a_pid_counts_only_that_process_calls()
    {
        var k = FaultRig.Boot(new SyscallFaultRule("yield", 1, ErrorCode.InvalidArgument, Pid: 2));
        var got = new Dictionary<int, long>();
        for (int n = 0; n < 2; n++)
            k.Spawn($"p{n}", sys =>
            {
                long r = sys.Syscall(SyscallNumber.Yield);
                got[sys.Pid] = r;
                return 0;
            });
        (_, EventLog log) = k.RunBalanced();
        got[1].ShouldBe(0);
        got[2].ShouldBe((long)ErrorCode.InvalidArgument);
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("syscall yield #1 of pid 2 -> InvalidArgument");
    }

    [Fact]
    public void A_rule_that_never_comes_due_injects_nothing_and_the_run_is_the_plain_run()
    {
        var plain = new List<long>();
        (_, EventLog a) = Mapper([], plain).RunBalanced();
        var planned = new List<long>();
        Kernel k = Mapper([new SyscallFaultRule("map", 99, ErrorCode.OutOfMemory), new FramesFaultRule(10_000)], planned);
        (_, EventLog b) = k.RunBalanced();
        b.Injections().ShouldBeEmpty();
        FaultRig.Text(k, b).ShouldBe(FaultRig.Text(k, a));
        planned.ShouldBe(plain);
    }

    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    public void A_frames_rule_refuses_the_map_that_needed_the_frame_with_OutOfMemory(ProtectionModel model)
    {
        // Probe: how many frame requests the spawn made (the rule's counter counts from the start of the kernel).
        Kernel probe = Mapper([new FramesFaultRule(1_000_000)], [], model: model);
        long spawnRequests = probe.Injector.FrameRequests;
        spawnRequests.ShouldBeGreaterThan(0);

        var results = new List<long>();
        Kernel k = Mapper([new FramesFaultRule(spawnRequests + 1, Count: 1)], results, model: model);
        (_, EventLog log) = k.RunBalanced();
        results[0].ShouldBe((long)ErrorCode.OutOfMemory);
        results.Skip(1).ShouldAllBe(r => r > 0);
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe($"frames #{spawnRequests + 1} -> refused");
        log.Injections()[0].Pid.ShouldBe(1);
    }

    [Fact]
    public void Spawning_with_no_frame_is_OutOfMemory_and_leaves_nothing_behind()
    {
        var k = FaultRig.Boot(new FramesFaultRule(1, Count: 3));
        int free = k.Frames.FreeCount;
        k.Spawn(new Userland.Loader.ManagedProgram("p", () => throw new InvalidOperationException("never built")), "p", out Process? p)
            .ShouldBe(ErrorCode.OutOfMemory);
        p.ShouldBeNull();
        k.Frames.FreeCount.ShouldBe(free);
        k.ShouldBalance();
    }

    // Linux's fail-nth, as a sweep: whichever frame request fails, the books balance and the kernel never panics.
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Failing_any_one_frame_request_of_a_run_keeps_the_books_balanced(ProtectionModel model)
    {
        // Probe: the frame requests of the spawns, and of the whole run.
        Kernel probe = Pair(new Kernel(FaultRig.Config(model, rules: [new FramesFaultRule(1_000_000)])))!;
        long spawns = probe.Injector.FrameRequests;
        probe.Run();
        long total = probe.Injector.FrameRequests;
        total.ShouldBeGreaterThan(spawns);

        int runsWithRefusals = 0;
        for (long nth = 1; nth <= total; nth++)
        {
            var k = new Kernel(FaultRig.Config(model, rules: [new FramesFaultRule(nth, Count: 2)]));
            if (Pair(k) is null)
            {
                k.CheckInvariants().ShouldBeEmpty($"a refused spawn, frames nth={nth}");
                continue;
            }
            var books = new FaultRig.BooksAfterInjections(k);
            k.AddSink(books);
            (RunResult r, EventLog log) = k.RunLogged();
            r.Outcome.ShouldNotBe(RunOutcome.Panic, $"frames nth={nth}: {r.Panic}");
            books.Problems.ShouldBeEmpty($"frames nth={nth}");
            k.CheckInvariants().ShouldBeEmpty($"frames nth={nth}");
            log.Injections().ShouldAllBe(e => e.Text!.EndsWith("-> refused"));
            if (log.Injections().Count > 0) runsWithRefusals++;
        }
        runsWithRefusals.ShouldBeGreaterThanOrEqualTo((int)(total - spawns), "every request of the running programs was refused once");
    }

    private static Kernel? Pair(Kernel k)
    {
        if (k.Spawn(new Userland.Loader.ManagedProgram("receiver", () => new Receiver()), "receiver", out Process? receiver) != ErrorCode.Ok) return null;
        int to = receiver!.Pid;
        return k.Spawn(new Userland.Loader.ManagedProgram("sender", () => new Sender(to)), "sender", out _) == ErrorCode.Ok ? k : null;
    }

    private sealed class Sender(int to) : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys)
        {
            ulong page = sys.Map(2 * Page);
            sys.Memory.WriteUInt64(page, 5);
            sys.Send(to, 7, page, 2, MicroKernel.Ipc.PageSend.SendFlags.SenderKeeps);
            sys.Memory.WriteUInt64(page, 6); // a copy-on-write break: needs a frame too
            return 0;
        }
    }

    private sealed class Receiver : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys)
        {
            sys.RegisterHandler(7, (s, m) => s.Memory.ReadUInt64(m.Address) == 5);
            sys.Pause(50);
            return 0;
        }
    }

    [Fact]
    public void A_random_rule_draws_errors_only_from_the_syscalls_documented_list()
    {
        const long Number = 200;
        ErrorCode[] documented = [ErrorCode.InvalidArgument, ErrorCode.BadAddress];
        (List<long> results, EventLog log) Run(double p, ulong seed)
        {
            var k = new Kernel(FaultRig.Config(seed: seed, rules: [new RandomFaultRule(p, FaultKinds.Syscall)]));
            k.Syscalls.Register(new SyscallInfo(Number, "test_call", [], (SimThread _, in SyscallArgs _) => 0) { Errors = documented });
            var results = new List<long>();
            k.Spawn("caller", sys =>
            {
                for (int i = 0; i < 40; i++) results.Add(sys.Syscall((SyscallNumber)Number));
                sys.Syscall(SyscallNumber.Yield); // no documented errors (yet): never an opportunity
                return 0;
            });
            (_, EventLog log) = k.RunBalanced();
            return (results, log);
        }

        Run(1.0, 1).results.ShouldAllBe(r => r == (long)ErrorCode.InvalidArgument || r == (long)ErrorCode.BadAddress);
        Run(1.0, 1).results.Distinct().Count().ShouldBe(2);
        Run(0.0, 1).results.ShouldAllBe(r => r == 0);
        (List<long> half, EventLog halfLog) = Run(0.5, 7);
        half.Count(r => r < 0).ShouldBeInRange(5, 35);
        Run(0.5, 7).results.ShouldBe(half, "the same seed draws the same faults");
        Run(0.5, 8).results.ShouldNotBe(half, "another seed draws others");
        halfLog.Injections().Count.ShouldBe(half.Count(r => r < 0));
        halfLog.Injections()[0].Text.ShouldStartWith("random: syscall test_call -> ");
    }

    [Fact]
    public void Two_random_rules_each_inject_at_their_own_kinds_and_are_named_by_their_index()
    {
        const long Number = 201;
        var k = new Kernel(FaultRig.Config(rules: [new RandomFaultRule(0.0, FaultKinds.Frames), new RandomFaultRule(1.0, FaultKinds.Syscall)]));
        k.Syscalls.Register(new SyscallInfo(Number, "test_call", [], (SimThread _, in SyscallArgs _) => 0) { Errors = [ErrorCode.QueueFull] });
        long result = 0;
        k.Spawn("caller", sys =>
        {
            result = sys.Syscall((SyscallNumber)Number);
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        result.ShouldBe((long)ErrorCode.QueueFull);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Code.ShouldBe(1);
        inject.Text.ShouldBe("random: syscall test_call -> QueueFull");
    }

    [Fact]
    public void With_no_rules_the_allocator_and_the_TLB_never_ask_and_the_injector_is_idle()
    {
        var k = new Kernel(new KernelConfig());
        k.Injector.Active.ShouldBeFalse();
        k.Injector.NextDue.ShouldBe(long.MaxValue);
        k.Frames.Injector.ShouldBeNull();
        k.Machine.Mmu.Tlb.Injector.ShouldBeNull();
        // A plan without frame or TLB rules leaves them out too.
        var ticks = FaultRig.Boot(new PreemptFaultRule(5));
        ticks.Injector.Active.ShouldBeTrue();
        ticks.Frames.Injector.ShouldBeNull();
        ticks.Machine.Mmu.Tlb.Injector.ShouldBeNull();
        ticks.Injector.NextDue.ShouldBe(5);
    }

    [Fact]
    public void A_random_rule_has_its_own_stream_and_does_not_shift_the_random_scheduler()
    {
        List<(long, int, ulong)> Switches(params FaultRule[] rules)
        {
            var k = new Kernel(FaultRig.Config(policy: PolicyKind.Random, seed: 3, rules: rules));
            for (int n = 0; n < 3; n++)
                k.Spawn($"p{n}", sys =>
                {
                    for (int i = 0; i < 30; i++) sys.Syscall(SyscallNumber.Time); // results ignored
                    return 0;
                });
            (_, EventLog log) = k.RunBalanced();
            return [.. log.Events.Where(e => e.Kind == EventKind.Switch).Select(e => (e.Tick, e.Tid, e.A0))];
        }
        // A random rule that draws at every frame request: the scheduler's choices stay the same.
        Switches().ShouldBe(Switches(new RandomFaultRule(0.0, FaultKinds.Frames)));
    }

    [Fact]
    public void Random_frame_refusals_keep_the_books_balanced_under_many_seeds()
    {
        int injected = 0;
        for (ulong seed = 1; seed <= 40; seed++)
        {
            var results = new List<long>();
            var k = new Kernel(FaultRig.Config(seed: seed, rules: [new RandomFaultRule(0.03, FaultKinds.Frames)]));
            k.Spawn(new Userland.Loader.ManagedProgram("mapper", () => new Lambda(sys =>
            {
                for (int i = 0; i < 5; i++)
                {
                    long r = sys.Syscall(SyscallNumber.Map, 0, 3 * Page, (ulong)Protection.ReadWrite);
                    results.Add(r);
                    if (r > 0) sys.Memory.WriteUInt64((ulong)r + 2 * Page, 1);
                }
                return 0;
            })), "mapper", out _);
            var books = new FaultRig.BooksAfterInjections(k);
            k.AddSink(books);
            (RunResult run, EventLog log) = k.RunLogged();
            run.Outcome.ShouldNotBe(RunOutcome.Panic, $"seed {seed}: {run.Panic}");
            books.Problems.ShouldBeEmpty($"seed {seed}");
            injected += log.Injections().Count;
            k.CheckInvariants().ShouldBeEmpty($"seed {seed}");
            results.ShouldAllBe(r => r > 0 || r == (long)ErrorCode.OutOfMemory);
        }
        injected.ShouldBeGreaterThan(5, "refusals happened while the programs ran");
    }

    [Fact]
    public void Syscall_and_frames_injections_are_deterministic_and_replay_event_for_event()
    {
        long spawnRequests = Mapper([new FramesFaultRule(1_000_000)], []).Injector.FrameRequests;
        FaultRule[] rules = [new SyscallFaultRule("map", 3, ErrorCode.OutOfMemory), new FramesFaultRule(spawnRequests + 1, Count: 2)];
        var a = new List<long>();
        Kernel k1 = Mapper(rules, a);
        (RunResult r1, EventLog log1) = k1.RunBalanced();
        // The first map fails at its first frame request, the second at the next one (count=2), the third by rule.
        log1.Injections().Select(e => e.Text).ShouldBe([$"frames #{spawnRequests + 1} -> refused", $"frames #{spawnRequests + 2} -> refused", "syscall map #3 -> OutOfMemory"]);
        a.ShouldAllBe(r => r == (long)ErrorCode.OutOfMemory);
        var b = new List<long>();
        Kernel k2 = Mapper(rules, b);
        (_, EventLog log2) = k2.RunBalanced();
        FaultRig.Text(k2, log2).ShouldBe(FaultRig.Text(k1, log1));

        FaultRig.Replay(policy => Mapper(rules, [], policy), log1, r1).ShouldBeNull();
        // And a replay without the plan diverges: the injections are part of what is checked.
        FaultRig.Replay(policy => Mapper([], [], policy), log1, r1).ShouldNotBeNull();
    }
}
