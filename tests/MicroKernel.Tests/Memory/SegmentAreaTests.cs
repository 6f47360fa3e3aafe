using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// What owned shared memory asks of a space (AddressSpace.Shmem.cs), driven directly: a segment's area in the owner
/// and in the peer (the same frames), its access flipped and taken away, the ordinary map calls refused on it, and a
/// share that fails (a destroyed peer, no frame for the peer's tables, no MPU region) changing nothing.
/// </summary>
public sealed class SegmentAreaTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    public static TheoryData<ProtectionModel> AllModels => new() { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging, int frames = 256) => _rig = new MemoryRig(model, frames);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    private static ulong Segment(AddressSpace s, int id, ulong length = 2 * Page)
    {
        s.MapSegment(length, id, out ulong at).ShouldBe(ErrorCode.Ok);
        return at;
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_shared_segment_is_the_same_frames_in_both_spaces_and_its_area_is_found_by_its_start_only(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace owner = rig.NewSpace(), peer = rig.NewSpace();
        ulong mine = Segment(owner, 7);
        owner.Areas.Single().Name.ShouldBe("shmem segment 7");
        owner.ShareSegment(mine, peer, Protection.ReadWrite, out ulong theirs).ShouldBe(ErrorCode.Ok);
        Vma area = peer.SegmentArea(theirs).ShouldNotBeNull();
        area.Segment.ShouldBe(7);
        area.Name.ShouldBe("shmem segment 7");
        area.Protection.ShouldBe(Protection.ReadWrite);
        owner.TryWriteUInt64(mine + Page, 0x5E6, out _).ShouldBeTrue();
        peer.TryReadUInt64(theirs + Page, out ulong seen, out _).ShouldBeTrue();
        seen.ShouldBe(0x5E6UL);
        owner.UserFrames().Select(x => x.Frame).ShouldBe(peer.UserFrames().Select(x => x.Frame));
        owner.UserFrames().ShouldAllBe(x => rig.Frames.RefCount(x.Frame) == 2);

        owner.SegmentArea(mine + Page).ShouldBeNull("not the area's start");
        owner.Map(0, Page, Protection.ReadWrite, "anon", out ulong plain).ShouldBe(ErrorCode.Ok);
        owner.SegmentArea(plain).ShouldBeNull("an ordinary area");
        peer.Destroy();
        peer.SegmentArea(theirs).ShouldBeNull("a destroyed space has none");
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Access_flips_with_ownership_and_an_address_that_is_no_segment_changes_nothing(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace owner = rig.NewSpace(), peer = rig.NewSpace();
        ulong mine = Segment(owner, 1);
        owner.ShareSegment(mine, peer, Protection.None, out ulong theirs).ShouldBe(ErrorCode.Ok);
        peer.TryReadUInt64(theirs, out _, out _).ShouldBeFalse("the peer has no access");

        long generation = owner.Generation;
        owner.SetSegmentAccess(mine, Protection.None);
        owner.Generation.ShouldBeGreaterThan(generation);
        owner.SegmentArea(mine)!.Protection.ShouldBe(Protection.None);
        owner.TryReadUInt64(mine, out _, out _).ShouldBeFalse();
        peer.SetSegmentAccess(theirs, Protection.ReadWrite);
        peer.TryWriteUInt64(theirs, 3, out _).ShouldBeTrue();

        owner.Map(0, Page, Protection.ReadWrite, "anon", out ulong plain).ShouldBe(ErrorCode.Ok);
        generation = owner.Generation;
        owner.SetSegmentAccess(plain, Protection.None);
        owner.UnmapSegment(plain);
        owner.Generation.ShouldBe(generation, "not a segment: nothing happened");
        owner.TryWriteUInt64(plain, 1, out _).ShouldBeTrue();

        peer.UnmapSegment(theirs);
        peer.Areas.ShouldBeEmpty();
        owner.UserFrames().ShouldAllBe(x => rig.Frames.RefCount(x.Frame) == 1, "the peer's references went with its area");
    }

    [Fact]
    public void Unmap_and_protect_refuse_a_range_that_touches_a_segment_and_allow_one_that_only_borders_it()
    {
        MemoryRig rig = Rig();
        var s = rig.NewPaged();
        s.Map(0x4000_0000, Page, Protection.ReadWrite, "before", out _).ShouldBe(ErrorCode.Ok);
        s.MapFrames(0x4000_1000, [Frame(rig), Frame(rig)], Protection.ReadWrite, 0, "seg").ShouldBe(ErrorCode.Ok);
        s.Areas.Single(v => v.Name == "seg").Segment = 4;
        s.Map(0x4000_3000, Page, Protection.ReadWrite, "after", out _).ShouldBe(ErrorCode.Ok);

        s.Unmap(0x4000_0000, 2 * Page).ShouldBe(ErrorCode.NotPermitted);
        s.Unmap(0x4000_2000, 2 * Page).ShouldBe(ErrorCode.NotPermitted);
        s.Protect(0x4000_2000, Page, Protection.Read).ShouldBe(ErrorCode.NotPermitted);
        s.Protect(0x4000_0000, 4 * Page, Protection.Read).ShouldBe(ErrorCode.NotPermitted);
        s.Areas.Count.ShouldBe(3, "nothing was split or removed");

        s.Protect(0x4000_0000, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        s.Protect(0x4000_3000, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        s.Unmap(0x4000_0000, Page).ShouldBe(ErrorCode.Ok);
        s.Unmap(0x4000_3000, Page).ShouldBe(ErrorCode.Ok);
        s.UnmapSegment(0x4000_1000);
        s.Areas.ShouldBeEmpty();
    }

    private static ulong Frame(MemoryRig rig)
    {
        rig.Frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        return f;
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_share_with_a_destroyed_peer_is_BadAddress_and_takes_no_reference(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace owner = rig.NewSpace(), peer = rig.NewSpace();
        ulong mine = Segment(owner, 2);
        peer.Destroy();
        owner.ShareSegment(mine, peer, Protection.None, out ulong theirs).ShouldBe(ErrorCode.BadAddress);
        theirs.ShouldBe(0UL);
        owner.UserFrames().ShouldAllBe(x => rig.Frames.RefCount(x.Frame) == 1);
        owner.UnmapSegment(mine);
    }

    [Fact]
    public void A_share_whose_peer_cannot_get_a_page_table_is_OutOfMemory_and_gives_the_references_back()
    {
        MemoryRig rig = Rig();
        AddressSpace owner = rig.NewSpace(), peer = rig.NewSpace();
        ulong mine = Segment(owner, 3);
        var hoard = new List<ulong>();
        while (rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hoard.Add(f);
        owner.ShareSegment(mine, peer, Protection.None, out _).ShouldBe(ErrorCode.OutOfMemory);
        peer.Areas.ShouldBeEmpty();
        owner.UserFrames().ShouldAllBe(x => rig.Frames.RefCount(x.Frame) == 1);
        foreach (ulong f in hoard) rig.Frames.Release(f);
        owner.UnmapSegment(mine);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_share_into_a_peer_with_no_region_left_is_NoMpuRegion(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace owner = rig.NewSpace(), peer = rig.NewSpace(reservedRegions: 7);
        ulong mine = Segment(owner, 5);
        peer.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.Ok);
        owner.ShareSegment(mine, peer, Protection.None, out _).ShouldBe(ErrorCode.NoMpuRegion);
        peer.Areas.Count.ShouldBe(1);
        owner.UserFrames().ShouldAllBe(x => rig.Frames.RefCount(x.Frame) == 1);
        owner.UnmapSegment(mine);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void An_MPU_address_past_the_end_of_RAM_is_explained_with_the_frames_it_needs(ProtectionModel model)
    {
        AddressSpace s = Rig(model, frames: 512).NewSpace();
        const ulong Start = 0x200000; // the first address past RAM, aligned for ARMv7-M
        s.Map(Start, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.BadAddress);
        s.MapRefusalAdvice(Start, 2 * Page, ErrorCode.BadAddress).ShouldBe(
            "there is no translation under an MPU, so the segment's address is a physical one, and this machine's " +
            "RAM ends at 0x200000 (512 frames). Give the machine more frames (this segment alone needs at least 514: " +
            "scenario `memory N`, `exec --memory N`), or run it under Paging");
        s.MapRefusalAdvice(Start - Page, Page, ErrorCode.BadAddress).ShouldBeNull("it ends at the end of RAM: the error said all");
        s.MapRefusalAdvice(0, 2 * Page, ErrorCode.BadAddress).ShouldBeNull("below the user range, not past RAM");
        s.MapRefusalAdvice(Start, 2 * Page, ErrorCode.OutOfMemory).ShouldBeNull();
    }
}
