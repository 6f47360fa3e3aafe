using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The page-transfer strategy page-send IPC calls (AddressSpace.Transfer.cs), driven directly: a duplicate of pages
/// another space may write through a shared mapping is copied at once (copy-on-write guards only writes made through
/// copy-on-write mappings), and a duplicate that runs out of frames changes nothing, under paging and under an MPU.
/// </summary>
public sealed class PageTransferTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging) => _rig = new MemoryRig(model, frames: 256);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    private static ulong MapWith(AddressSpace s, ulong pages, params ulong[] values)
    {
        s.Map(0, pages * Page, Protection.ReadWrite, "data", out ulong a).ShouldBe(ErrorCode.Ok);
        for (int i = 0; i < values.Length; i++) s.TryWriteUInt64(a + (ulong)i * Page, values[i], out _).ShouldBeTrue();
        return a;
    }

    private static ulong Read(MemoryView s, ulong va)
    {
        s.TryReadUInt64(va, out ulong v, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return v;
    }

    private static ulong FrameOf(PagedAddressSpace s, ulong va) => Pte.FrameOf(s.QueryEntry(va));

    // Two spaces mapping the same two frames writable (a share, as send with SenderKeeps|ReceiverWrite makes).
    private static (PagedAddressSpace Owner, ulong At, PagedAddressSpace Peer, ulong PeerAt) SharedPair(MemoryRig rig)
    {
        PagedAddressSpace owner = rig.NewPaged(), peer = rig.NewPaged();
        ulong a = MapWith(owner, 2, 0x1111, 0x2222);
        owner.ReferencePages(a, 2, out PageRun run).ShouldBe(ErrorCode.Ok);
        peer.AttachPages(run, Protection.ReadWrite, "shared", out ulong b).ShouldBe(ErrorCode.Ok);
        rig.Frames.RefCount(FrameOf(owner, a)).ShouldBe(2);
        return (owner, a, peer, b);
    }

    [Fact]
    public void A_duplicate_of_pages_another_space_writes_directly_is_an_eager_copy()
    {
        MemoryRig rig = Rig();
        (PagedAddressSpace owner, ulong a, PagedAddressSpace peer, ulong b) = SharedPair(rig);
        ulong[] shared = [FrameOf(owner, a), FrameOf(owner, a + Page)];

        owner.DuplicatePages(a, 2, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);

        runs.Length.ShouldBe(1);
        runs[0].Frames.ShouldNotContain(shared[0]);
        runs[0].Frames.ShouldNotContain(shared[1]);
        runs[0].Frames.Distinct().Count().ShouldBe(2);
        // The owner keeps its shared, writable pages: nothing of it became copy-on-write.
        FrameOf(owner, a).ShouldBe(shared[0]);
        (owner.QueryEntry(a) & Pte.Writable).ShouldNotBe(0UL);
        (owner.QueryEntry(a) & Pte.SoftCopyOnWrite).ShouldBe(0UL);
        rig.Frames.RefCount(shared[0]).ShouldBe(2);

        PagedAddressSpace receiver = rig.NewPaged();
        receiver.AttachPages(runs[0], Protection.Read, "copy", out ulong c).ShouldBe(ErrorCode.Ok);
        Read(receiver, c).ShouldBe(0x1111UL);
        Read(receiver, c + Page).ShouldBe(0x2222UL);
        // The peer writes through its shared mapping: the copy, taken at send time, does not change.
        peer.TryWriteUInt64(b, 0x9999, out _).ShouldBeTrue();
        Read(owner, a).ShouldBe(0x9999UL);
        Read(receiver, c).ShouldBe(0x1111UL);
        owner.CopyOnWriteBreaks.ShouldBe(0);
        rig.ShouldBalance();
    }

    [Fact]
    public void Without_keeping_write_the_sender_of_an_eager_copy_loses_write_access()
    {
        MemoryRig rig = Rig();
        (PagedAddressSpace owner, ulong a, _, _) = SharedPair(rig);

        owner.DuplicatePages(a, 2, senderKeepsWrite: false, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);

        owner.Areas.Single(v => v.Contains(a)).Protection.ShouldBe(Protection.Read);
        owner.TryWriteUInt64(a + Page, 1, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        (owner.QueryEntry(a) & (Pte.Writable | Pte.SoftCopyOnWrite)).ShouldBe(0UL);
        owner.ReleaseRun(runs[0]);
        rig.ShouldBalance();
    }

    [Fact]
    public void Keeping_write_on_a_private_page_makes_the_sender_copy_on_write_and_its_next_write_copies()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace owner = rig.NewPaged();
        ulong a = MapWith(owner, 1, 0x7777);
        ulong frame = FrameOf(owner, a);

        owner.DuplicatePages(a, 1, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);

        runs[0].Frames.ToArray().ShouldBe(new[] { frame }, "a private page is shared copy-on-write, not copied");
        runs[0].CopyOnWrite.ShouldBeTrue();
        (owner.QueryEntry(a) & Pte.SoftCopyOnWrite).ShouldNotBe(0UL);
        (owner.QueryEntry(a) & Pte.Writable).ShouldBe(0UL);
        rig.Frames.RefCount(frame).ShouldBe(2);

        owner.TryWriteUInt64(a, 0x8888, out _).ShouldBeTrue();
        owner.CopyOnWriteBreaks.ShouldBe(1);
        FrameOf(owner, a).ShouldNotBe(frame);
        rig.Memory.ReadUInt64(frame * Page).ShouldBe(0x7777UL, "the message keeps the page as it was sent");
        owner.ReleaseRun(runs[0]);
        rig.ShouldBalance();
    }

    // pages 2, copies 1: the second page's copy fails after the first page's was made (given back from the map of
    // eager copies); pages 1, copies 2: the second copy of the one page fails (the first is given back).
    [Theory]
    [InlineData(2, 1)]
    [InlineData(1, 2)]
    public void An_eager_copy_that_runs_out_of_frames_is_OutOfMemory_and_changes_nothing(int pages, int copies)
    {
        MemoryRig rig = Rig();
        (PagedAddressSpace owner, ulong a, _, _) = SharedPair(rig);
        var drained = new List<ulong>();
        while (rig.Frames.FreeCount > 1 && rig.Frames.TryAllocate(FrameUse.User, out ulong f)) drained.Add(f);
        string entries = $"{owner.QueryEntry(a):x} {owner.QueryEntry(a + Page):x}";

        owner.DuplicatePages(a, (ulong)pages, senderKeepsWrite: false, copies, out PageRun[] runs).ShouldBe(ErrorCode.OutOfMemory);

        runs.ShouldBeEmpty();
        rig.Frames.FreeCount.ShouldBe(1, "the copy made before the failure is given back");
        $"{owner.QueryEntry(a):x} {owner.QueryEntry(a + Page):x}".ShouldBe(entries);
        owner.Areas.Single(v => v.Contains(a)).Protection.ShouldBe(Protection.ReadWrite);
        owner.TryWriteUInt64(a, 5, out _).ShouldBeTrue();
        foreach (ulong f in drained) rig.Frames.Release(f);
        rig.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Under_an_MPU_a_duplicate_that_runs_out_of_blocks_gives_back_the_copies_made(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        ulong a = MapWith(s, 2, 0xAB);
        var drained = new List<ulong>();
        // Room for exactly one more block of two frames (ARMv7-M: aligned to two frames).
        while (rig.Frames.TryAllocate(FrameUse.User, out ulong f)) drained.Add(f);
        ulong hole = drained.First(f => f % 2 == 0);
        rig.Frames.Release(hole);
        rig.Frames.Release(hole + 1);
        drained.Remove(hole);
        drained.Remove(hole + 1);

        s.DuplicatePages(a, 2, senderKeepsWrite: false, copies: 2, out PageRun[] runs).ShouldBe(ErrorCode.OutOfMemory);

        runs.ShouldBeEmpty();
        rig.Frames.FreeCount.ShouldBe(2, "the one copy made is given back");
        s.Areas.Single().Protection.ShouldBe(Protection.ReadWrite, "a failed duplicate leaves the sender writable");

        s.DuplicatePages(a, 2, senderKeepsWrite: false, copies: 1, out runs).ShouldBe(ErrorCode.Ok);
        runs.Single().Frames.ToArray().ShouldBe(new[] { hole, hole + 1 });
        rig.Memory.ReadUInt64(hole * Page).ShouldBe(0xABUL, "an MPU duplicate is an eager copy");
        s.Areas.Single().Protection.ShouldBe(Protection.Read);
        s.ReleaseRun(runs[0]);
        foreach (ulong f in drained) rig.Frames.Release(f);
        rig.ShouldBalance();
    }
}
