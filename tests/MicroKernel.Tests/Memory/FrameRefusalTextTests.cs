using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The frame allocator's refusals are kernel bugs caught early (a reference to a free frame, a retag to no owner, an
/// allocation for no owner): each names the frame and what was asked, since the text ends up in a kernel panic report.
/// </summary>
public sealed class FrameRefusalTextTests
{
    [Fact]
    public void Each_refusal_names_the_frame_and_what_was_asked()
    {
        var frames = new FrameAllocator(new PhysicalMemory(16));
        Should.Throw<InvalidOperationException>(() => frames.AddRef(5)).Message.ShouldBe("AddRef of free frame 5");
        Should.Throw<InvalidOperationException>(() => frames.Release(6)).Message.ShouldBe("double free of frame 6");
        Should.Throw<InvalidOperationException>(() => frames.Retag(7, FrameUse.User)).Message.ShouldBe("bad retag of frame 7 to User");
        frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        Should.Throw<InvalidOperationException>(() => frames.Retag(f, FrameUse.Free)).Message.ShouldBe($"bad retag of frame {f} to Free");
        var noOwner = Should.Throw<ArgumentOutOfRangeException>(() => frames.TryAllocate(FrameUse.Free, out _));
        noOwner.ParamName.ShouldBe("use");
        noOwner.Message.ShouldStartWith("a frame is allocated for the kernel or for user mappings");
        frames.CheckInvariants().ShouldBeEmpty("a refusal changes nothing");
        frames.FreeCount.ShouldBe(14);
    }
}
