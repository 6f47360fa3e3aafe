using System.Reflection;
using MicroKernel.Invariants;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// The frame allocator's own check is the first half of the kernel's frame-accounting invariant: a corrupted ledger
/// entry (a free frame with a reference, written behind the allocator's back as a stray write would) is reported by the
/// kernel's catalogue under that name. Mutation testing found the catalogue never seen to pass the allocator's report
/// on. Also: an invariant describes itself as "name: summary".
/// </summary>
public class AllocatorBooksInCatalogueTests
{
    [Fact, Trait(InvariantCatalogueTests.Breaks, "frame-accounting")]
    public void A_corrupted_allocator_ledger_is_reported_as_frame_accounting()
    {
        var k = new Kernel(new KernelConfig { Frames = 512 });
        k.CheckInvariants().ShouldBeEmpty();
        var refs = (int[])typeof(FrameAllocator).GetField("_refs", BindingFlags.NonPublic | BindingFlags.Instance)!.GetValue(k.Frames)!;
        refs[500] = 1; // frame 500 is free at boot

        k.CheckInvariants().ShouldBe(["frame-accounting: frame 500 is free with 1 references"]);
    }

    [Fact]
    public void An_invariant_describes_itself_by_name_and_summary()
    {
        var k = new Kernel(new KernelConfig { Frames = 512 });
        Invariant first = k.Invariants[0];
        first.ToString().ShouldBe($"frame-accounting: {first.Summary}");
        first.Summary.ShouldStartWith("the allocator's books balance");
    }
}
