using CsCheck;
using MicroKernel.Faults;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Faults;

/// <summary>Fault rules read from text: every kind, keys in any order, and each kind of refusal with its field.</summary>
[Collection(Tests.Cli.CultureCollection.Name)] // one test changes the culture of new threads
public class FaultRuleParserTests
{
    private static readonly SyscallTable Table = new Kernel(new KernelConfig { Frames = 16 }).Syscalls;

    [Theory]
    [InlineData("syscall name=map nth=2 error=OutOfMemory")]
    [InlineData("syscall name=send nth=1 error=QueueFull pid=3")]
    [InlineData("frames nth=5")]
    [InlineData("frames nth=5 count=3")]
    [InlineData("kill pid=2 tick=100")]
    [InlineData("kill pid=2 syscall=7")]
    [InlineData("crash pid=1 tick=40")]
    [InlineData("preempt tick=0")]
    [InlineData("flip pid=1 addr=0x10000000 bit=7 tick=12")]
    [InlineData("delay nth=1 ticks=50")]
    [InlineData("kernel-bug name=skip-tlb-flush nth=1")]
    [InlineData("random p=0.01")]
    [InlineData("random p=1 kinds=syscall,delay")]
    public void Canonical_text_reads_back_as_itself(string text)
    {
        FaultRule rule = FaultRule.Parse(text);
        rule.Text.ShouldBe(text);
        FaultRule.Parse(rule.Text).ShouldBe(rule);
    }

    [Fact]
    public void Keys_come_in_any_order_numbers_in_hex_and_extra_spaces_are_fine()
    {
        FaultRule.Parse("  syscall  error=NoMpuRegion pid=0x2 nth=3   name=map ")
            .ShouldBe(new SyscallFaultRule("map", 3, ErrorCode.NoMpuRegion, 2));
        FaultRule.Parse("flip tick=9 bit=0 addr=268435456 pid=1").ShouldBe(new FlipFaultRule(1, 0x10000000, 0, 9));
        FaultRule.Parse("random kinds=frames,preempt p=5e-1").ShouldBe(new RandomFaultRule(0.5, FaultKinds.Frames | FaultKinds.Preempt));
        FaultRule.Parse("random p=0.25 kinds=syscall,frames,preempt,delay").ShouldBe(new RandomFaultRule(0.25));
    }

    [Fact]
    public void A_plan_keeps_its_rules_in_order()
    {
        FaultPlan plan = FaultPlan.Parse(["preempt tick=3", "frames nth=1"]);
        plan.Rules.ShouldBe([new PreemptFaultRule(3), new FramesFaultRule(1)]);
        FaultPlan.Parse([]).IsEmpty.ShouldBeTrue();
    }

    [Theory]
    [InlineData("", "kind", "a rule kind")]
    [InlineData("explode pid=1", "kind", "got 'explode'")]
    [InlineData("frames nth=1 colour=red", "colour", "a key of a frames rule (nth, count), got 'colour'")]
    [InlineData("frames nth", "nth", "key=value")]
    [InlineData("frames nth=", "nth=", "key=value")]
    [InlineData("frames count=2", "nth", "nth=... (a frames rule has nth, count), missing")]
    [InlineData("frames nth=1 nth=2", "nth", "each key once")]
    [InlineData("frames nth=0", "nth", "a whole number >= 1, got '0'")]
    [InlineData("frames nth=-1", "nth", "got '-1'")]
    [InlineData("frames nth=1,000", "nth", "got '1,000'")]
    [InlineData("frames nth=0x", "nth", "got '0x'")]
    [InlineData("preempt tick=99999999999999999999", "tick", "a tick")]
    [InlineData("kill pid=1", "tick", "exactly one of tick=T or syscall=N, got neither")]
    [InlineData("kill pid=1 tick=3 syscall=2", "syscall", "exactly one of tick=T or syscall=N, got both")]
    [InlineData("kill pid=0 tick=3", "pid", "a pid (a whole number >= 1), got '0'")]
    [InlineData("flip pid=1 addr=0x1000 bit=8 tick=1", "bit", "a bit number 0-7, got '8'")]
    [InlineData("flip pid=1 addr=0xZZ bit=1 tick=1", "addr", "an address (decimal or 0x hex), got '0xZZ'")]
    [InlineData("syscall name=mmap nth=1 error=OutOfMemory", "name", "a syscall name (exit, yield")]
    [InlineData("syscall name=map nth=1 error=Oops", "error", "an error name")]
    [InlineData("syscall name=map nth=1 error=-5", "error", "an error name")]
    [InlineData("syscall name=map nth=1 error=Ok", "error", "an error name")]
    [InlineData("syscall name=map nth=1 error=QueueFull", "error", "an error map is documented to return (InvalidArgument, Misaligned, BadAddress, AlreadyMapped, OutOfMemory, NoMpuRegion), got 'QueueFull'")]
    [InlineData("syscall name=getpid nth=1 error=InvalidArgument", "error", "no error: getpid is documented to return none")]
    [InlineData("syscall name=map nth=1", "error", "missing")]
    [InlineData("kernel-bug name=forget-everything nth=1", "name", "a kernel bug name (skip-tlb-flush), got 'forget-everything'")]
    [InlineData("random p=0", "p", "a probability in (0, 1], got '0'")]
    [InlineData("random p=1.5", "p", "got '1.5'")]
    [InlineData("random p=NaN", "p", "got 'NaN'")]
    [InlineData("random p=0,5", "p", "got '0,5'")]
    [InlineData("random p=0.5 kinds=syscall,faults", "kinds", "a comma-separated list of syscall, frames, preempt, delay, got 'faults'")]
    [InlineData("random p=0.5 kinds=frames,frames", "kinds", "each kind once")]
    [InlineData("random p=0.5 kinds=", "kinds=", "key=value")]
    public void A_malformed_rule_is_refused_with_its_text_the_field_and_what_was_expected(string text, string field, string expected)
    {
        var e = Should.Throw<FaultRuleException>(() => FaultRule.Parse(text));
        e.RuleText.ShouldBe(text);
        e.Field.ShouldBe(field);
        e.Expected.ShouldContain(expected);
        e.Message.ShouldStartWith($"fault rule '{text}': field '{field}': expected ");
    }

    [Fact]
    public void A_plan_is_refused_at_its_first_bad_rule()
    {
        var e = Should.Throw<FaultRuleException>(() => FaultPlan.Parse(["frames nth=1", "preempt tick=x", "bogus"]));
        e.RuleText.ShouldBe("preempt tick=x");
    }

    [Fact]
    public void Pids_must_name_a_process_of_the_run()
    {
        FaultRuleParser.CheckPid(FaultRule.Parse("kill pid=3 tick=1"), 3);
        FaultRuleParser.CheckPid(FaultRule.Parse("frames nth=1"), 1);
        var e = Should.Throw<FaultRuleException>(() => FaultRuleParser.CheckPid(FaultRule.Parse("crash pid=4 tick=1"), 3));
        e.Field.ShouldBe("pid");
        e.Expected.ShouldBe("the pid of a process the run starts (1..3), got 4");
        Should.Throw<FaultRuleException>(() => FaultRuleParser.CheckPid(FaultRule.Parse("syscall name=map nth=1 error=OutOfMemory pid=2"), 1))
            .Expected.ShouldBe("the pid of a process the run starts (1), got 2");
    }

    [Fact]
    public void Reading_and_writing_do_not_depend_on_the_culture()
    {
        // A culture with a decimal comma and another minus sign (the test host has no culture data: see CultureTests).
        FaultRule rule = Tests.Cli.CultureTests.Under(Tests.Cli.CultureTests.Hostile(), () => FaultRule.Parse("random p=0.125"));
        rule.ShouldBe(new RandomFaultRule(0.125));
        Tests.Cli.CultureTests.Under(Tests.Cli.CultureTests.Hostile(), () => rule.Text).ShouldBe("random p=0.125");
    }

    // Every rule the records can hold (within what the parser accepts) reads back from its text as an equal rule.
    private static readonly (string Name, ErrorCode Error)[] SyscallErrors =
        Table.All.SelectMany(s => s.Errors.Select(e => (s.Name, e))).ToArray();

    private static readonly Gen<long> Count = Gen.OneOf(Gen.Long[1, 1000], Gen.Long[1, long.MaxValue]);
    private static readonly Gen<long> Tick = Gen.OneOf(Gen.Long[0, 1000], Gen.Long[0, long.MaxValue]);
    private static readonly Gen<int> Pid = Gen.Int[1, int.MaxValue];

    private static readonly Gen<FaultRule> AnyRule = Gen.OneOf<FaultRule>(
        Gen.Select(Gen.Int[0, SyscallErrors.Length - 1].Select(i => SyscallErrors[i]), Count, Gen.Bool, Pid, (se, n, hasPid, pid) => new SyscallFaultRule(se.Name, n, se.Error, hasPid ? pid : null)),
        Gen.Select(Count, Count, (n, k) => new FramesFaultRule(n, k)),
        Gen.Select(Pid, Tick, Count, Gen.Bool, (p, t, n, atTick) => atTick ? new KillFaultRule(p, t, null) : new KillFaultRule(p, null, n)),
        Gen.Select(Pid, Tick, (p, t) => new CrashFaultRule(p, t)),
        Tick.Select(t => new PreemptFaultRule(t)),
        Gen.Select(Pid, Gen.ULong, Gen.Int[0, 7], Tick, (p, a, b, t) => new FlipFaultRule(p, a, b, t)),
        Gen.Select(Count, Count, (n, k) => new DelayFaultRule(n, k)),
        Count.Select(n => new KernelBugFaultRule(KernelBugNames.SkipTlbFlush, n)),
        Gen.Select(Gen.Double[0, 1].Where(p => p > 0), Gen.Int[1, 15], (p, k) => new RandomFaultRule(p, (FaultKinds)k)));

    [Fact]
    public void Every_rule_reads_back_from_its_text()
    {
        AnyRule.Sample(rule => FaultRule.Parse(rule.Text) == rule);
    }
}
