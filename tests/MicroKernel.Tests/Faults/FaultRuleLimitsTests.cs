using MicroKernel.Faults;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// The edges of the fault-rule grammar: the largest and smallest numbers each field takes, the message that lists a
/// kind's keys for every kind, a pid check at its bounds, and a plan's text.
/// </summary>
public class FaultRuleLimitsTests
{
    [Theory]
    [InlineData("preempt tick=9223372036854775807", true)] // long.MaxValue: the largest tick
    [InlineData("preempt tick=9223372036854775808", false)]
    [InlineData("frames nth=0x7fffffffffffffff count=1", true)]
    [InlineData("frames nth=0x8000000000000000", false)]
    [InlineData("crash pid=2147483647 tick=0", true)] // int.MaxValue: the largest pid
    [InlineData("crash pid=2147483648 tick=0", false)]
    [InlineData("flip pid=1 addr=0xffffffffffffffff bit=7 tick=0", true)]
    [InlineData("flip pid=1 addr=0x10000000000000000 bit=0 tick=0", false)]
    [InlineData("flip pid=1 addr=0X10 bit=0 tick=0", true)] // 0X as well as 0x
    [InlineData("delay nth=1 ticks=1", true)]
    [InlineData("delay nth=1 ticks=0", false)]
    [InlineData("random p=1e0", true)]
    [InlineData("random p=1.0000000001", false)]
    [InlineData("random p=-0.5", false)]
    [InlineData("random p=4.9e-324", true)] // the smallest double above 0
    public void Each_number_field_takes_exactly_its_range(string text, bool accepted)
    {
        if (accepted) FaultRule.Parse(text).ShouldNotBeNull();
        else Should.Throw<FaultRuleException>(() => FaultRule.Parse(text));
    }

    [Fact]
    public void The_largest_values_read_back_unchanged()
    {
        FaultRule.Parse("preempt tick=9223372036854775807").ShouldBe(new PreemptFaultRule(long.MaxValue));
        FaultRule.Parse("crash pid=2147483647 tick=0").ShouldBe(new CrashFaultRule(int.MaxValue, 0));
        FaultRule.Parse("flip pid=1 addr=0X10 bit=0 tick=0").ShouldBe(new FlipFaultRule(1, 0x10, 0, 0));
        FaultRule.Parse("flip pid=1 addr=0xffffffffffffffff bit=7 tick=0").ShouldBe(new FlipFaultRule(1, ulong.MaxValue, 7, 0));
    }

    [Theory]
    [InlineData("syscall name=map nth=1 error=OutOfMemory x=1", "name, nth, error, pid")]
    [InlineData("frames nth=1 x=1", "nth, count")]
    [InlineData("kill pid=1 tick=1 x=1", "pid, tick, syscall")]
    [InlineData("crash pid=1 tick=1 x=1", "pid, tick")]
    [InlineData("preempt tick=1 x=1", "tick")]
    [InlineData("flip pid=1 addr=0 bit=0 tick=1 x=1", "pid, addr, bit, tick")]
    [InlineData("delay nth=1 ticks=1 x=1", "nth, ticks")]
    [InlineData("kernel-bug name=skip-tlb-flush nth=1 x=1", "name, nth")]
    [InlineData("random p=1 x=1", "p, kinds")]
    public void An_unknown_key_is_refused_with_the_keys_its_kind_has(string text, string keys)
    {
        string kind = text[..text.IndexOf(' ', StringComparison.Ordinal)];
        var e = Should.Throw<FaultRuleException>(() => FaultRule.Parse(text));
        e.Field.ShouldBe("x");
        e.Expected.ShouldBe($"a key of a {kind} rule ({keys}), got 'x'");
    }

    [Fact]
    public void A_null_text_or_table_is_an_argument_error()
    {
        Should.Throw<ArgumentNullException>(() => FaultRule.Parse(null!)).ParamName.ShouldBe("text");
        Should.Throw<ArgumentNullException>(() => FaultRuleParser.Parse("frames nth=1", null!)).ParamName.ShouldBe("syscalls");
    }

    [Fact]
    public void A_word_with_nothing_before_its_equals_sign_is_not_a_key()
    {
        var e = Should.Throw<FaultRuleException>(() => FaultRule.Parse("frames =5 nth=1"));
        e.Field.ShouldBe("=5");
        e.Expected.ShouldBe("key=value");
    }

    [Fact]
    public void An_unknown_kind_is_refused_with_every_kind_listed()
    {
        var e = Should.Throw<FaultRuleException>(() => FaultRule.Parse("explode"));
        e.Expected.ShouldBe("a rule kind (syscall, frames, kill, crash, preempt, flip, delay, kernel-bug, random), got 'explode'");
        Should.Throw<FaultRuleException>(() => FaultRule.Parse(" \t "))
            .Expected.ShouldBe("a rule kind (syscall, frames, kill, crash, preempt, flip, delay, kernel-bug, random), got nothing");
        FaultRuleParser.Kinds.ShouldBe(["syscall", "frames", "kill", "crash", "preempt", "flip", "delay", "kernel-bug", "random"]);
    }

    [Fact]
    public void An_unknown_syscall_is_refused_with_every_syscall_name_listed()
    {
        var table = new Kernel(new KernelConfig { Frames = 16 }).Syscalls;
        var e = Should.Throw<FaultRuleException>(() => FaultRule.Parse("syscall name=mmap nth=1 error=OutOfMemory"));
        e.Expected.ShouldBe($"a syscall name ({string.Join(", ", table.All.Select(s => s.Name))}), got 'mmap'");
        // Every name of the table is accepted by a rule (with one of its documented errors).
        foreach (SyscallInfo s in table.All.Where(s => s.Errors.Count > 0))
            FaultRule.Parse($"syscall name={s.Name} nth=1 error={s.Errors[0]}").ShouldBe(new SyscallFaultRule(s.Name, 1, s.Errors[0]));
    }

    [Theory]
    [InlineData("InvalidArgument,Misaligned")] // Enum.TryParse ORs the two into InvalidArgument
    [InlineData("OutOfMemory,BadAddress")] // ... and these into UnknownSyscall
    [InlineData("-1")] // UnknownSyscall's number
    [InlineData("5")] // no error's number
    [InlineData("outofmemory")] // names are case-sensitive
    public void An_error_is_one_name_spelled_as_the_enum_spells_it(string error)
    {
        var e = Should.Throw<FaultRuleException>(() => FaultRuleParser.Parse($"syscall name=map nth=1 error={error}", new Kernel(new KernelConfig { Frames = 16 }).Syscalls));
        e.Field.ShouldBe("error");
        e.Expected.ShouldStartWith("an error name (InvalidArgument, OutOfMemory, ...), got '");
    }

    [Fact]
    public void An_error_the_syscall_does_not_document_is_refused_naming_its_list()
    {
        // UnknownSyscall (-1) is documented for no syscall.
        var e = Should.Throw<FaultRuleException>(() => FaultRule.Parse("syscall name=map nth=1 error=UnknownSyscall"));
        e.Field.ShouldBe("error");
        e.Expected.ShouldStartWith("an error map is documented to return (");
    }

    [Fact]
    public void A_pid_is_checked_against_both_ends_of_the_runs_processes()
    {
        FaultRuleParser.CheckPid(new KillFaultRule(1, 1, null), 1); // the first and only process
        FaultRuleParser.CheckPid(new CrashFaultRule(1, 1), 2);
        FaultRuleParser.CheckPid(new FlipFaultRule(2, 0, 0, 1), 2); // the last one
        FaultRuleParser.CheckPid(new SyscallFaultRule("map", 1, ErrorCode.OutOfMemory, Pid: 5), 5);
        FaultRuleParser.CheckPid(new SyscallFaultRule("map", 1, ErrorCode.OutOfMemory), 1); // no pid named
        // A rule built in code (not parsed) may hold pid 0: no process has it.
        Should.Throw<FaultRuleException>(() => FaultRuleParser.CheckPid(new KillFaultRule(0, 1, null), 2))
            .Expected.ShouldBe("the pid of a process the run starts (1..2), got 0");
        Should.Throw<FaultRuleException>(() => FaultRuleParser.CheckPid(new FlipFaultRule(3, 0, 0, 1), 2))
            .Expected.ShouldBe("the pid of a process the run starts (1..2), got 3");
    }

    [Fact]
    public void PidOf_names_the_process_of_the_rules_that_have_one()
    {
        FaultRuleParser.PidOf(new SyscallFaultRule("map", 1, ErrorCode.OutOfMemory, 4)).ShouldBe(4);
        FaultRuleParser.PidOf(new SyscallFaultRule("map", 1, ErrorCode.OutOfMemory)).ShouldBeNull();
        FaultRuleParser.PidOf(new KillFaultRule(5, null, 2)).ShouldBe(5);
        FaultRuleParser.PidOf(new CrashFaultRule(6, 1)).ShouldBe(6);
        FaultRuleParser.PidOf(new FlipFaultRule(7, 0, 0, 1)).ShouldBe(7);
        FaultRuleParser.PidOf(new PreemptFaultRule(1)).ShouldBeNull();
        FaultRuleParser.PidOf(new DelayFaultRule(1, 1)).ShouldBeNull();
    }

    [Fact]
    public void A_plan_prints_its_rules_in_order_separated_by_semicolons()
    {
        FaultPlan plan = FaultPlan.Parse(["preempt tick=3", "frames nth=1 count=2", "kill pid=2 syscall=4"]);
        plan.ToString().ShouldBe("preempt tick=3; frames nth=1 count=2; kill pid=2 syscall=4");
        plan.IsEmpty.ShouldBeFalse();
        FaultPlan.None.IsEmpty.ShouldBeTrue();
        FaultPlan.None.ToString().ShouldBe("");
        new DelayFaultRule(2, 9).ToString().ShouldBe("delay nth=2 ticks=9");
    }

    [Fact]
    public void Every_rule_names_its_kind_as_its_text_begins()
    {
        FaultRule[] rules =
        [
            new SyscallFaultRule("map", 1, ErrorCode.OutOfMemory), new FramesFaultRule(1), new KillFaultRule(1, 1, null),
            new CrashFaultRule(1, 1), new PreemptFaultRule(1), new FlipFaultRule(1, 0, 0, 1), new DelayFaultRule(1, 1),
            new KernelBugFaultRule(KernelBugNames.SkipTlbFlush, 1), new RandomFaultRule(0.5),
        ];
        rules.Select(r => r.Kind).ShouldBe(FaultRuleParser.Kinds);
        rules.ShouldAllBe(r => r.Text.StartsWith(r.Kind + " "));
    }

    [Fact]
    public void A_random_rule_lists_its_kinds_in_a_fixed_order_and_omits_them_all()
    {
        new RandomFaultRule(0.5, FaultKinds.Delay | FaultKinds.Syscall).Text.ShouldBe("random p=0.5 kinds=syscall,delay");
        new RandomFaultRule(0.5, FaultKinds.Preempt).Text.ShouldBe("random p=0.5 kinds=preempt");
        new RandomFaultRule(0.5, FaultKinds.Frames | FaultKinds.Preempt | FaultKinds.Delay).Text.ShouldBe("random p=0.5 kinds=frames,preempt,delay");
        new RandomFaultRule(0.5, FaultKinds.All).Text.ShouldBe("random p=0.5");
        new RandomFaultRule(0.1).Text.ShouldBe("random p=0.1");
    }
}
