using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// What revoking a paging grant cuts (PagedGrantSpace.Revoke): every top-level entry that reached the callee's tables,
/// and the callee's later ones too, while the caller's SHARED pages stay in the window slot until the grant is
/// released; and a revoked grant resolves no copy-on-write fault of the callee's.
/// </summary>
public sealed class PagedGrantRevokeTests : PagedRigTests
{
    private const ulong FarSlot = 2UL << 39; // PML4[2]: a top-level entry the callee did not have when the grant was built

    private static PagedGrantSpace Grant(AddressSpace callee, AddressSpace caller)
    {
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);
        return (PagedGrantSpace)g!;
    }

    [Fact]
    public void A_revoked_grant_reaches_no_table_of_the_callee_and_keeps_the_window()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        callee.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        caller.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        PagedGrantSpace g = Grant(callee, caller);
        g.PageTable.RootEntry(0).ShouldNotBe(0UL, "the callee's tables, before the revoke");

        g.Revoke();
        for (int slot = 0; slot < 512; slot++)
            if (slot != PagedAddressSpace.RpcWindowSlot) g.PageTable.RootEntry(slot).ShouldBe(0UL, $"slot {slot}");
        g.PageTable.RootEntry(PagedAddressSpace.RpcWindowSlot).ShouldNotBe(0UL, "the SHARED pages stay until the release");

        callee.Map(FarSlot, Page, Protection.ReadWrite, "far", out _).ShouldBe(ErrorCode.Ok);
        callee.PageTable.RootEntry(2).ShouldNotBe(0UL);
        g.PageTable.RootEntry(2).ShouldBe(0UL, "a top-level table the callee adds later does not reach a revoked grant");
        g.Release();
    }

    [Fact]
    public void A_revoked_grant_resolves_no_copy_on_write_fault_of_the_callee()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged(), other = rig.NewPaged();
        callee.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        callee.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);
        other.AttachPages(runs[0], Protection.ReadWrite, "copy", out _).ShouldBe(ErrorCode.Ok);
        PagedGrantSpace g = Grant(callee, caller);

        g.Revoke();
        g.TryResolveWriteFault(Va).ShouldBeFalse();
        callee.CopyOnWriteBreaks.ShouldBe(0);
        g.Release();
    }
}
