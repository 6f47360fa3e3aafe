using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Contiguous frame runs at their edges: a run as long as every free frame, and an aligned run at frame 0 on a machine
/// that reserves nothing (the first multiple of any alignment is 0, not the alignment itself).
/// </summary>
public class ContiguousRunEdgesTests
{
    [Fact]
    public void A_run_of_exactly_every_free_frame_is_granted()
    {
        var frames = new FrameAllocator(new PhysicalMemory(64), reservedFrames: 1);
        frames.TryAllocateContiguous(63, 1, FrameUse.User, out ulong first).ShouldBeTrue();
        first.ShouldBe(1UL);
        (frames.FreeCount, frames.UserCount, frames.Allocations).ShouldBe((0, 63, 63L));
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(16)]
    public void With_nothing_reserved_an_aligned_run_starts_at_frame_0(int align)
    {
        var frames = new FrameAllocator(new PhysicalMemory(64), reservedFrames: 0);
        frames.TryAllocateContiguous(align, align, FrameUse.Kernel, out ulong first).ShouldBeTrue();
        first.ShouldBe(0UL);
        frames.TryAllocateContiguous(align, align, FrameUse.Kernel, out ulong second).ShouldBeTrue();
        second.ShouldBe((ulong)align, "the next multiple of the alignment");
        frames.KernelCount.ShouldBe(2 * align);
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Fact]
    public void An_aligned_run_skips_a_partly_used_block_to_the_next_multiple()
    {
        var frames = new FrameAllocator(new PhysicalMemory(64), reservedFrames: 0);
        frames.TryAllocateAt(3, 1, FrameUse.User).ShouldBeTrue(); // frames 0..2 and 4..7 free, 3 used
        frames.TryAllocateContiguous(4, 4, FrameUse.User, out ulong first).ShouldBeTrue();
        first.ShouldBe(4UL);
        frames.TryAllocateContiguous(3, 1, FrameUse.User, out ulong low).ShouldBeTrue();
        low.ShouldBe(0UL, "three free frames below the used one");
        frames.CheckInvariants().ShouldBeEmpty();
    }
}
