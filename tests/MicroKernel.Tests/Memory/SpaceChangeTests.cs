using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// What a space tells the rest of the kernel about its own changes, in every model: each change of its mappings moves
/// <see cref="AddressSpace.Generation"/> (an RPC grant built before it is stale then), a read leaves the frames' write
/// generations alone (they tell the invariant checks which frames were written), a write check stops at the first
/// page it may not write, and only paging has large pages.
/// </summary>
public sealed class SpaceChangeTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    public static TheoryData<ProtectionModel> AllModels => new() { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private MemoryRig Rig(ProtectionModel model) => _rig = new MemoryRig(model, frames: 256);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    // Runs `change` and returns by how much it moved the space's generation.
    private static long Moved(AddressSpace s, Action change)
    {
        long before = s.Generation;
        change();
        return s.Generation - before;
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Every_change_of_the_mappings_moves_the_generation(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace(), peer = _rig!.NewSpace();
        ulong a = 0, seg = 0;
        Moved(s, () => s.Map(0, 2 * Page, Protection.ReadWrite, "data", out a).ShouldBe(ErrorCode.Ok)).ShouldBe(1);
        Moved(s, () => s.Protect(a, 2 * Page, Protection.Read).ShouldBe(ErrorCode.Ok)).ShouldBe(1);
        Moved(s, () => s.Unmap(a, 2 * Page).ShouldBe(ErrorCode.Ok)).ShouldBeGreaterThan(0);

        Moved(s, () => s.MapSegment(Page, 3, out seg).ShouldBe(ErrorCode.Ok)).ShouldBe(1);
        s.ShareSegment(seg, peer, Protection.None, out _).ShouldBe(ErrorCode.Ok);
        Moved(s, () => s.SetSegmentAccess(seg, Protection.None)).ShouldBe(1, "the owner gave its access away");
        Moved(s, () => s.UnmapSegment(seg)).ShouldBeGreaterThan(0);
        Moved(s, () => s.SetSegmentAccess(seg, Protection.ReadWrite)).ShouldBe(0, "no segment there any more: nothing changes");
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_read_leaves_the_write_generation_of_every_frame_it_reads(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        s.Map(0, 2 * Page, Protection.ReadWrite, "data", out ulong a).ShouldBe(ErrorCode.Ok);
        s.TryWrite(a + Page - 4, [1, 2, 3, 4, 5, 6, 7, 8], out _).ShouldBeTrue();
        uint[] before = s.UserFrames().Select(f => _rig!.Memory.WriteGeneration(f.Frame)).ToArray();

        byte[] read = new byte[8];
        s.TryRead(a + Page - 4, read, out _).ShouldBeTrue();
        read.ShouldBe(new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        s.UserFrames().Select(f => _rig!.Memory.WriteGeneration(f.Frame)).ShouldBe(before);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_write_check_fails_at_the_first_page_that_cannot_be_written(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        s.Map(0, Page, Protection.ReadWrite, "data", out ulong a).ShouldBe(ErrorCode.Ok);
        s.CheckRange(a, 2 * Page, AccessKind.Write, out MemoryFault f).ShouldBeFalse("the page after it is not mapped");
        f.Address.ShouldBe(a + Page);
        f.Access.ShouldBe(AccessKind.Write);

        s.Map(0, Page, Protection.Read, "text", out ulong text).ShouldBe(ErrorCode.Ok);
        s.CheckRange(text, 8, AccessKind.Write, out f).ShouldBeFalse("read-only, and no copy-on-write page");
        f.Address.ShouldBe(text);
        f.Access.ShouldBe(AccessKind.Write);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Only_paging_has_large_pages(ProtectionModel model) =>
        Rig(model).NewSpace().HasLargePages.ShouldBe(model == ProtectionModel.Paging);
}
