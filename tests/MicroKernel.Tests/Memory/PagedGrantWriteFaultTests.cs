using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Writes through a paging grant that fault read-only (PagedGrantSpace.cs): outside the RPC window, from its very top
/// up, a copy-on-write page of the callee is copied for the callee as if it wrote it itself.
/// </summary>
public sealed class PagedGrantWriteFaultTests : PagedRigTests
{
    private static ulong Read(MemoryView v, ulong va)
    {
        v.TryReadUInt64(va, out ulong value, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return value;
    }

    private static void Write(MemoryView v, ulong va, ulong value) =>
        v.TryWriteUInt64(va, value, out MemoryFault f).ShouldBeTrue($"write at 0x{va:x}: {f}");

    [Fact]
    public void A_write_through_the_grant_to_a_copy_on_write_page_just_above_the_RPC_window_copies_it_for_the_callee()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        const ulong Top = PagedAddressSpace.RpcWindowTop;
        callee.Map(Top, Page, Protection.ReadWrite, "above", out _).ShouldBe(ErrorCode.Ok);
        Write(callee, Top, 0xC0);
        callee.DuplicatePages(Top, 1, senderKeepsWrite: true, copies: 1, out PageRun[] copy).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);

        Write(g!, Top, 0xC1);

        callee.CopyOnWriteBreaks.ShouldBe(1);
        Read(callee, Top).ShouldBe(0xC1UL);
        rig.Memory.ReadUInt64(copy[0].Frames[0] << 12).ShouldBe(0xC0UL, "the copy sent keeps the old contents");
        g!.Release();
        callee.ReleaseRun(copy[0]);
    }
}
