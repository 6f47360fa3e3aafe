using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The frame allocator where its arithmetic has edges: frames taken at a fixed address (an MPU program loaded where
/// it was linked) up to the last frame of RAM and not one past it, all or nothing; a machine whose frame count is not
/// a multiple of the 64 frames a bitmap word holds; the search wrapping round to the lowest free frame.
/// </summary>
public class FramesAtAFixedAddressTests
{
    private static (PhysicalMemory Memory, FrameAllocator Frames) New(int frameCount = 64)
    {
        var memory = new PhysicalMemory(frameCount);
        return (memory, new FrameAllocator(memory, reservedFrames: 1));
    }

    [Fact]
    public void Frames_at_a_fixed_address_are_taken_zeroed_with_one_reference_each_up_to_the_last_frame()
    {
        var (memory, frames) = New();
        for (ulong f = 60; f < 64; f++) memory.Frame(f)[7] = 0xEE;
        frames.TryAllocateAt(60, 4, FrameUse.User).ShouldBeTrue("frames 60..63 end exactly at the end of RAM");
        for (ulong f = 60; f < 64; f++)
        {
            frames.UseOf(f).ShouldBe(FrameUse.User);
            frames.RefCount(f).ShouldBe(1);
            memory.Frame(f)[7].ShouldBe((byte)0);
        }
        (frames.UserCount, frames.FreeCount, frames.Allocations).ShouldBe((4, 59, 4L));
        frames.UseOf(59).ShouldBe(FrameUse.Free);
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Theory]
    [InlineData(61UL, 4, "one frame past the end of RAM")]
    [InlineData(64UL, 1, "starts at the end of RAM")]
    [InlineData(10UL, 0, "no frames")]
    [InlineData(10UL, -2, "a negative count")]
    [InlineData(0UL, 1, "frame 0 is the kernel's")]
    public void Frames_at_a_fixed_address_that_cannot_all_be_had_are_refused_and_nothing_changes(ulong first, int count, string why)
    {
        var (_, frames) = New();
        frames.TryAllocateAt(first, count, FrameUse.User).ShouldBeFalse(why);
        (frames.UserCount, frames.FreeCount, frames.Allocations).ShouldBe((0, 63, 0L), why);
    }

    [Fact]
    public void A_used_frame_in_the_middle_refuses_the_whole_run_and_takes_none_of_it()
    {
        var (_, frames) = New();
        frames.TryAllocateAt(12, 1, FrameUse.Kernel).ShouldBeTrue();
        frames.TryAllocateAt(10, 4, FrameUse.User).ShouldBeFalse();
        for (ulong f = 10; f < 14; f++) frames.UseOf(f).ShouldBe(f == 12 ? FrameUse.Kernel : FrameUse.Free);
        (frames.UserCount, frames.KernelCount, frames.FreeCount).ShouldBe((0, 2, 62));
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Fact]
    public void A_machine_of_70_frames_hands_out_exactly_its_69_free_frames_across_two_bitmap_words()
    {
        var (_, frames) = New(70);
        var got = new List<ulong>();
        while (frames.TryAllocate(FrameUse.User, out ulong f)) got.Add(f);
        got.ShouldBe(Enumerable.Range(1, 69).Select(i => (ulong)i), "lowest first, frame 63 then 64, and none past 69");
        frames.FreeCount.ShouldBe(0);
        frames.Release(69);
        frames.Release(3);
        frames.TryAllocate(FrameUse.User, out ulong again).ShouldBeTrue();
        again.ShouldBe(3UL, "the lowest free frame, though the search had reached the end");
        frames.TryAllocate(FrameUse.User, out again).ShouldBeTrue();
        again.ShouldBe(69UL, "the last frame of the last, partial word");
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Fact]
    public void After_the_last_frame_is_taken_the_search_starts_again_from_the_bottom()
    {
        var (_, frames) = New();
        frames.TryAllocateAt(1, 62, FrameUse.User).ShouldBeTrue(); // all but frame 63
        frames.TryAllocate(FrameUse.User, out ulong last).ShouldBeTrue();
        last.ShouldBe(63UL);
        frames.Release(5);
        frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        f.ShouldBe(5UL);
        frames.TryAllocate(FrameUse.User, out _).ShouldBeFalse("every frame is used");
    }
}
