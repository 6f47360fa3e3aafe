using MicroKernel.Invariants;
using MicroKernel.Ipc.Notify;
using MicroKernel.Memory;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// A check point after a syscall or at a scheduling point re-runs only the invariants that read a part of the state
/// changed since the last check (<see cref="Invariant.Reads"/>, <see cref="StateChanges"/>); the end of the run checks
/// them all. Counted through <see cref="Kernel.InvariantChecksRun"/>.
/// </summary>
public class ChangedStateCheckTests
{
    private static Kernel Boot(CheckLevel check, ProtectionModel model = ProtectionModel.Paging) =>
        new(new KernelConfig { Frames = 512, Protection = model, MaxTicks = 200_000, Check = check });

    [Fact]
    public void A_syscall_that_changes_nothing_checks_nothing()
    {
        var k = Boot(CheckLevel.Syscall);
        long before = -1, after = -1, afterMap = -1;
        k.Spawn("idle", sys =>
        {
            sys.Map(4096);
            sys.Syscall(Syscalls.SyscallNumber.GetPid);
            before = k.InvariantChecksRun;
            for (int i = 0; i < 50; i++) { sys.Syscall(Syscalls.SyscallNumber.GetPid); sys.Yield(); } // one process: yield switches to nobody
            after = k.InvariantChecksRun;
            sys.Map(4096);
            afterMap = k.InvariantChecksRun;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        before.ShouldBeGreaterThan(0);
        after.ShouldBe(before);
        afterMap.ShouldBe(before + k.Invariants.Count); // map may change anything: the whole catalogue runs again
    }

    [Fact]
    public void Each_invariant_declares_what_it_reads_and_the_family_ones_read_everything()
    {
        var k = TestKernels.Boot();
        k.Invariants.Single(i => i.Name == "tlb-coherence").Reads.ShouldBe(CheckedState.Tlb | CheckedState.Spaces);
        k.Invariants.Single(i => i.Name == "frame-accounting").Reads.HasFlag(CheckedState.Frames).ShouldBeTrue();
        k.Invariants.Single(i => i.Name == "page-tables-match-vmas").Reads.HasFlag(CheckedState.Tlb).ShouldBeFalse();
        k.Invariants.Skip(5).ShouldAllBe(i => i.Reads == CheckedState.All);
        k.Syscalls.Find((long)Syscalls.SyscallNumber.GetPid)!.Writes.ShouldBe(CheckedState.None);
        k.Syscalls.Find((long)Syscalls.SyscallNumber.Map)!.Writes.ShouldBe(CheckedState.All);
    }

    [Fact]
    public void A_tlb_fill_re_checks_only_the_invariants_that_read_the_tlb()
    {
        var k = Boot(CheckLevel.Syscall);
        long before = -1, after = -1;
        k.Spawn("toucher", sys =>
        {
            ulong va = sys.Map(4096);
            sys.Syscall(Syscalls.SyscallNumber.GetPid);
            before = k.InvariantChecksRun;
            k.Machine.Mmu.Tlb.Contains(va).ShouldBeFalse();
            sys.Memory.WriteUInt64(va, 1); // a TLB miss: the walk fills an entry, nothing else changes
            sys.Syscall(Syscalls.SyscallNumber.GetPid);
            after = k.InvariantChecksRun;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        after.ShouldBe(before + k.Invariants.Count(i => i.Reads.HasFlag(CheckedState.Tlb)));
        k.Invariants.Count(i => i.Reads.HasFlag(CheckedState.Tlb)).ShouldBeLessThan(k.Invariants.Count);
    }

    [Fact]
    public void A_corruption_no_code_marked_is_caught_by_the_next_syscall_that_changes_that_state()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            int h = sys.NotifyCreate("units");
            sys.Notify(h, 2);
            k.Family<NotificationIpc>().LiveObjectList[0].Pending--; // behind the kernel's back: nothing marked
            sys.Syscall(Syscalls.SyscallNumber.GetPid); // changes nothing: checks nothing
            sys.Notify(h, 1); // changes the notification objects: their invariants run again
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("notify-units-conserved");
        e.Where.ShouldStartWith("after syscall notify of tid");
        KernelEvent at = log.Events.Single(x => x.Seq == e.Seq);
        k.Syscalls.Find(at.Code)!.Name.ShouldBe("notify");
    }

    [Fact]
    public void A_corrupted_region_is_caught_after_the_next_memory_syscall()
    {
        var k = Boot(CheckLevel.Syscall, ProtectionModel.ArmV8Mpu);
        k.Spawn("victim", sys =>
        {
            ulong at = sys.Map(4096);
            Vma v = k.AreaAt(sys, at);
            v.Start += 4096; // behind the kernel's back: nothing marked
            v.End += 4096;
            sys.Yield();
            sys.Map(4096);
            return 0;
        });
        var r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("mpu-regions");
        e.Where.ShouldStartWith("after syscall map of tid");
    }

    [Fact]
    public void The_end_of_the_run_checks_everything_even_when_nothing_was_marked()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            sys.NotifyCreate("units");
            sys.Syscall(Syscalls.SyscallNumber.GetPid);
            k.RpcStats.ActiveGrants++; // behind the kernel's back, and no syscall after it changes anything
            sys.Syscall(Syscalls.SyscallNumber.GetPid);
            return 0;
        });
        var r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Invariant.ShouldBe("rpc-grant-lifetime");
    }
}
