using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// A single frame is always the lowest free one, also when the search starts inside one 64-frame word of the free
/// bitmap and finds its frame in a later word: only the first word searched is cut below the start.
/// </summary>
public sealed class LowestFreeFrameTests
{
    [Fact]
    public void The_lowest_free_frame_is_found_at_the_start_of_a_later_bitmap_word()
    {
        var frames = new FrameAllocator(new PhysicalMemory(256)); // frame 0 reserved
        for (int i = 1; i <= 65; i++) frames.TryAllocate(FrameUse.User, out _).ShouldBeTrue();
        // Frames 66..127 taken in one run: the single-frame search goes on from 66, inside the second word.
        frames.TryAllocateContiguous(62, 1, FrameUse.User, out ulong run).ShouldBeTrue();
        run.ShouldBe(66UL);
        frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        f.ShouldBe(128UL, "frame 128, the first of the third word, is the lowest free");
        frames.TryAllocate(FrameUse.User, out ulong g).ShouldBeTrue();
        g.ShouldBe(129UL);
        frames.CheckInvariants().ShouldBeEmpty();
    }
}
