using MicroKernel.Invariants;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// The text of an invariant panic: the first problem in full, then "(and N more: ...)" with every other problem in
/// catalogue order, so a report with several violations loses none of them.
/// </summary>
public sealed class InvariantPanicMessageTests
{
    [Fact]
    public void One_violation_is_named_with_its_event_and_tick_and_no_tail()
    {
        var e = new InvariantViolationException([new("tlb-coherence", "TLB entry 3 is stale")], 41, 1200, "after syscall unmap of tid 2 (pid 2)");
        e.Message.ShouldBe("invariant tlb-coherence broken after syscall unmap of tid 2 (pid 2) (after event #41, tick 1200): TLB entry 3 is stale");
        e.Invariant.ShouldBe("tlb-coherence");
        e.Seq.ShouldBe(41);
        e.Tick.ShouldBe(1200);
        e.Where.ShouldBe("after syscall unmap of tid 2 (pid 2)");
    }

    [Fact]
    public void Several_violations_list_every_one_after_the_first_in_order()
    {
        InvariantViolation[] found =
        [
            new("frame-accounting", "frame 9 is a user frame that nothing maps (leaked)"),
            new("frame-accounting", "frame 10 is a user frame that nothing maps (leaked)"),
            new("tlb-coherence", "TLB entry 3 is stale"),
        ];
        var e = new InvariantViolationException(found, null, 77, "at the end of the run");
        e.Message.ShouldBe("invariant frame-accounting broken at the end of the run (tick 77): frame 9 is a user frame that nothing maps (leaked)"
            + " (and 2 more: frame-accounting: frame 10 is a user frame that nothing maps (leaked); tlb-coherence: TLB entry 3 is stale)");
        e.Invariant.ShouldBe("frame-accounting", "the first violation names the panic");
        e.Violations.ShouldBe(found);
        e.Seq.ShouldBeNull();
    }

    [Fact]
    public void A_kernel_that_leaks_two_frames_panics_with_both_in_its_message()
    {
        var k = new Kernel(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall });
        ulong first = 0, second = 0;
        k.Spawn("victim", sys =>
        {
            k.Frames.TryAllocate(FrameUse.User, out first).ShouldBeTrue(); // taken for mappings that never happen
            k.Frames.TryAllocate(FrameUse.User, out second).ShouldBeTrue();
            sys.Yield();
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Violations.Count.ShouldBe(2);
        e.Message.ShouldEndWith($": frame {first} is a user frame that nothing maps (leaked)"
            + $" (and 1 more: frame-accounting: frame {second} is a user frame that nothing maps (leaked))");
    }
}
