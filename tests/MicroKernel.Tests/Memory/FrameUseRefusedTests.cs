using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// A frame is allocated for the kernel or for user mappings, nothing else: an allocation for Free or for a value outside
/// <see cref="FrameUse"/> (a number cast to it) is refused before anything is taken, so the books still balance. Such a
/// frame used to be taken and counted as neither kernel nor user, breaking free + kernel + user = total.
/// </summary>
public class FrameUseRefusedTests
{
    private static FrameAllocator New() => new(new PhysicalMemory(64), reservedFrames: 1);

    public static TheoryData<FrameUse> NotAnOwner => [FrameUse.Free, (FrameUse)3, (FrameUse)7, (FrameUse)255];

    private static void ShouldBeUntouched(FrameAllocator frames)
    {
        frames.FreeCount.ShouldBe(63);
        frames.KernelCount.ShouldBe(1);
        frames.UserCount.ShouldBe(0);
        frames.Allocations.ShouldBe(0);
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Theory]
    [MemberData(nameof(NotAnOwner))]
    public void One_frame_for_no_owner_is_refused(FrameUse use)
    {
        FrameAllocator frames = New();
        Should.Throw<ArgumentOutOfRangeException>(() => frames.TryAllocate(use, out _)).ParamName.ShouldBe("use");
        ShouldBeUntouched(frames);
        frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue("the refusal did not disturb the next allocation");
        f.ShouldBe(1UL);
    }

    [Theory]
    [MemberData(nameof(NotAnOwner))]
    public void A_contiguous_run_for_no_owner_is_refused(FrameUse use)
    {
        FrameAllocator frames = New();
        Should.Throw<ArgumentOutOfRangeException>(() => frames.TryAllocateContiguous(4, 4, use, out _)).ParamName.ShouldBe("use");
        ShouldBeUntouched(frames);
    }

    [Theory]
    [MemberData(nameof(NotAnOwner))]
    public void Frames_at_a_fixed_address_for_no_owner_are_refused(FrameUse use)
    {
        FrameAllocator frames = New();
        Should.Throw<ArgumentOutOfRangeException>(() => frames.TryAllocateAt(8, 2, use)).ParamName.ShouldBe("use");
        ShouldBeUntouched(frames);
        frames.UseOf(8).ShouldBe(FrameUse.Free);
    }

    [Theory]
    [MemberData(nameof(NotAnOwner))]
    public void Retagging_a_frame_to_no_owner_is_refused(FrameUse use)
    {
        FrameAllocator frames = New();
        frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        Should.Throw<InvalidOperationException>(() => frames.Retag(f, use));
        frames.UseOf(f).ShouldBe(FrameUse.User);
        frames.UserCount.ShouldBe(1);
        frames.CheckInvariants().ShouldBeEmpty();
    }

    [Fact]
    public void Both_owners_are_still_accepted_by_every_allocation()
    {
        FrameAllocator frames = New();
        frames.TryAllocate(FrameUse.Kernel, out _).ShouldBeTrue();
        frames.TryAllocate(FrameUse.User, out _).ShouldBeTrue();
        frames.TryAllocateContiguous(2, 2, FrameUse.User, out _).ShouldBeTrue();
        frames.TryAllocateAt(40, 1, FrameUse.Kernel).ShouldBeTrue();
        frames.KernelCount.ShouldBe(3);
        frames.UserCount.ShouldBe(3);
        frames.CheckInvariants().ShouldBeEmpty();
    }
}
