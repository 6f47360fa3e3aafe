using MicroKernel.Faults;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// How <c>syscall</c> and <c>kill ... syscall=N</c> rules count calls: every matching rule counts every call, the first
/// rule in plan order wins a call two rules want, unknown numbers are not calls, and a pid counts only its calls.
/// </summary>
public class SyscallRuleCountingTests
{
    private const long Unknown = 250; // a number no syscall has

    // One process that makes `calls` time syscalls and records each result.
    private static (Kernel Kernel, List<long> Results) Timer(int calls, params FaultRule[] rules)
    {
        var k = FaultRig.Boot(rules);
        var results = new List<long>();
        k.Spawn("timer", sys =>
        {
            for (int i = 0; i < calls; i++) results.Add(sys.Syscall(SyscallNumber.Time));
            return 0;
        });
        return (k, results);
    }

    [Fact]
    public void Two_rules_on_one_syscall_each_fire_at_their_own_count_and_are_named_by_their_index()
    {
        (Kernel k, List<long> results) = Timer(5,
            new SyscallFaultRule("time", 4, ErrorCode.InvalidArgument), new SyscallFaultRule("time", 2, ErrorCode.InvalidArgument));
        (_, EventLog log) = k.RunBalanced();
        results.Select(r => r < 0).ShouldBe([false, true, false, true, false]);
        log.Injections().Select(e => (e.Code, e.Text)).ShouldBe([(1L, "syscall time #2 -> InvalidArgument"), (0L, "syscall time #4 -> InvalidArgument")]);
    }

    [Fact]
    public void Two_rules_that_want_the_same_call_the_first_in_the_plan_wins_and_the_other_has_counted_it()
    {
        // Both at the 2nd call: rule 0 fires; rule 1 counted that call too, so it never fires (its 2nd call is gone).
        (Kernel k, List<long> results) = Timer(5,
            new SyscallFaultRule("time", 2, ErrorCode.InvalidArgument), new SyscallFaultRule("time", 2, ErrorCode.InvalidArgument, Pid: 1));
        (_, EventLog log) = k.RunBalanced();
        results.Count(r => r < 0).ShouldBe(1);
        results[1].ShouldBe((long)ErrorCode.InvalidArgument);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Code.ShouldBe(0);
        inject.Text.ShouldBe("syscall time #2 -> InvalidArgument");
    }

    [Fact]
    public void A_syscall_rule_and_a_kill_rule_at_the_same_call_the_first_in_the_plan_wins()
    {
        (Kernel k, List<long> results) = Timer(5, new KillFaultRule(1, Tick: null, SyscallNth: 3), new SyscallFaultRule("time", 3, ErrorCode.InvalidArgument));
        (RunResult r, EventLog log) = k.RunBalanced();
        results.Count.ShouldBe(2);
        r.Processes.Single().ExitStatus.ShouldBe(Kernel.KilledStatus);
        log.Injections().ShouldHaveSingleItem().Code.ShouldBe(0);

        (k, results) = Timer(5, new SyscallFaultRule("time", 3, ErrorCode.InvalidArgument), new KillFaultRule(1, Tick: null, SyscallNth: 3));
        (r, log) = k.RunBalanced();
        results.Count.ShouldBe(5, "the refused call returns, and the kill's 3rd call has passed");
        results[2].ShouldBe((long)ErrorCode.InvalidArgument);
        r.Processes.Single().ExitStatus.ShouldBe(0);
        log.Injections().ShouldHaveSingleItem().Code.ShouldBe(0);
    }

    [Fact]
    public void Calls_of_unknown_numbers_are_not_counted_and_meet_no_rule()
    {
        var results = new List<long>();
        var k = FaultRig.Boot(new KillFaultRule(1, Tick: null, SyscallNth: 3), new RandomFaultRule(1.0, FaultKinds.Syscall));
        Process p = k.Spawn("caller", sys =>
        {
            for (int i = 0; i < 4; i++) results.Add(sys.Syscall((SyscallNumber)Unknown));
            results.Add(sys.Syscall(SyscallNumber.Time)); // the 1st counted call: time has no documented error
            results.Add(sys.Syscall(SyscallNumber.Time));
            results.Add(sys.Syscall(SyscallNumber.Time)); // the 3rd: killed here
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        results.Count.ShouldBe(6, "the 3rd time call never returns");
        results.Take(4).ShouldAllBe(r => r == (long)ErrorCode.UnknownSyscall);
        results.Skip(4).ShouldAllBe(r => r > 0);
        p.ExitStatus.ShouldBe(Kernel.KilledStatus);
        log.Injections().ShouldHaveSingleItem().Text.ShouldBe("kill pid 1 at its syscall #3 (time)");
    }

    [Fact]
    public void A_kill_at_a_syscall_counts_only_its_process_calls()
    {
        var k = FaultRig.Boot(new KillFaultRule(2, Tick: null, SyscallNth: 2));
        int callsOf2 = 0;
        Process first = k.Spawn("busy", sys =>
        {
            for (int i = 0; i < 10; i++) sys.Syscall(SyscallNumber.Time);
            return 0;
        });
        Process second = k.Spawn("victim", sys =>
        {
            for (int i = 0; i < 10; i++)
            {
                sys.Syscall(SyscallNumber.Time);
                callsOf2++;
            }
            return 0;
        });
        (_, EventLog log) = k.RunBalanced();
        first.ExitStatus.ShouldBe(0);
        second.ExitStatus.ShouldBe(Kernel.KilledStatus);
        callsOf2.ShouldBe(1);
        KernelEvent inject = log.Injections().ShouldHaveSingleItem();
        inject.Text.ShouldBe("kill pid 2 at its syscall #2 (time)");
        (inject.Pid, inject.Tid).ShouldBe((2, 2));
    }
}
