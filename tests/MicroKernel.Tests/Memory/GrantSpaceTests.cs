using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// RPC grants driven directly (PagedGrantSpace.cs, MpuGrantSpace.cs): what a grant shows (the callee in full, the
/// caller's SHARED buffers, nothing else of the caller), loaded and not loaded; when it may serve another call; what it
/// pins; a callee that maps during the call; a revoked grant; a callee destroyed while its grant is loaded.
/// </summary>
public sealed class GrantSpaceTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging, int frames = 256) => _rig = new MemoryRig(model, frames);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    private static ulong Map(AddressSpace s, ulong address = 0, Protection protection = Protection.ReadWrite)
    {
        s.Map(address, Page, protection, "anon", out ulong mapped).ShouldBe(ErrorCode.Ok);
        return mapped;
    }

    private static ulong Read(MemoryView v, ulong va)
    {
        v.TryReadUInt64(va, out ulong value, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return value;
    }

    private static void Write(MemoryView v, ulong va, ulong value) =>
        v.TryWriteUInt64(va, value, out MemoryFault f).ShouldBeTrue($"write at 0x{va:x}: {f}");

    private static MemoryFault Refused(MemoryView v, ulong va, AccessKind access, int length = 8)
    {
        var bytes = new byte[length];
        MemoryFault f;
        bool ok = access switch
        {
            AccessKind.Read => v.TryRead(va, bytes, out f),
            AccessKind.Write => v.TryWrite(va, bytes, out f),
            _ => v.TryFetch(va, bytes, out f),
        };
        ok.ShouldBeFalse($"{access} at 0x{va:x} through the grant should fault");
        return f;
    }

    private static GrantSpace Grant(AddressSpace callee, AddressSpace caller)
    {
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);
        g!.BuiltAt = (callee.Generation, caller.Generation); // as RpcIpc does when it builds one
        return g;
    }

    // ---------------------------------------------------------------- paging

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_paging_grant_shows_the_callee_and_the_callers_shared_buffer_and_nothing_else_of_the_caller(bool loaded)
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        ulong mine = Map(callee, 0x4000_0000);
        Write(callee, mine, 0xCA11EE);
        ulong secret = Map(caller, 0x5000_0000);
        Write(caller, secret, 0x5EC2E7);
        caller.MapShared(Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        Write(caller, shared, 0x5A);
        ulong sharedFrame = Pte.FrameOf(caller.QueryEntry(shared));

        GrantSpace grant = Grant(callee, caller);
        if (loaded) grant.Activate();
        Read(grant, mine).ShouldBe(0xCA11EEUL);
        Read(grant, shared).ShouldBe(0x5AUL);
        Write(grant, shared + 8, 0x77);
        Refused(grant, secret, AccessKind.Read).Reason.ShouldBe(FaultReason.NotPresent);
        grant.SharedPages.ShouldBe(1);
        grant.MpuRegions.ShouldBe(0);
        grant.PinnedReferences(sharedFrame).ShouldBe(1, "the grant holds the SHARED page for the call");
        grant.PinnedReferences(Pte.FrameOf(callee.QueryEntry(mine))).ShouldBe(0);
        rig.Frames.RefCount(sharedFrame).ShouldBe(2);

        grant.Release();
        rig.Frames.RefCount(sharedFrame).ShouldBe(1);
        grant.PinnedReferences(sharedFrame).ShouldBe(0);
        Read(caller, shared + 8).ShouldBe(0x77UL, "the callee wrote the caller's frame, not a copy");
        Refused(grant, mine, AccessKind.Read).Reason.ShouldBe(FaultReason.NotPresent);
        rig.Machine.Mmu.Root.ShouldNotBe(((PagedGrantSpace)grant).PageTable.RootAddress);
    }

    [Fact]
    public void A_grant_stays_current_until_either_space_changes_its_mappings_or_it_is_revoked()
    {
        MemoryRig rig = Rig();
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        GrantSpace g = Grant(callee, caller);
        g.IsCurrent.ShouldBeTrue();
        Map(callee);
        g.IsCurrent.ShouldBeFalse("the callee mapped");
        g.Release();

        g = Grant(callee, caller);
        g.IsCurrent.ShouldBeTrue();
        Map(caller);
        g.IsCurrent.ShouldBeFalse("the caller mapped");
        g.Release();

        g = Grant(callee, caller);
        g.IsCurrent.ShouldBeTrue();
        g.Revoke();
        g.IsCurrent.ShouldBeFalse("revoked");
        g.Release();

        g = Grant(callee, caller);
        g.IsCurrent.ShouldBeTrue();
        caller.Destroy();
        g.IsCurrent.ShouldBeFalse("the caller is gone");
        g.Release();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Memory_the_callee_maps_in_a_new_top_level_table_during_the_call_is_seen_through_the_grant(bool loaded)
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        Map(callee, 0x4000_0000);
        GrantSpace grant = Grant(callee, caller);
        if (loaded) grant.Activate();
        const ulong Far = 0x0000_0300_0000_0000; // PML4 slot 6: no table there when the grant was built
        ulong far = Map(callee, Far);
        Write(callee, far, 0xFA5);
        Read(grant, far).ShouldBe(0xFA5UL);
        Write(grant, far, 0xFA6);
        Read(callee, far).ShouldBe(0xFA6UL);
        grant.Release();
    }

    [Fact]
    public void A_revoked_paging_grant_faults_and_is_unloaded_while_the_callee_goes_on()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged();
        ulong mine = Map(callee, 0x4000_0000);
        Write(callee, mine, 9);
        var grant = (PagedGrantSpace)Grant(callee, caller);
        grant.Activate();
        rig.Machine.Mmu.Root.ShouldBe(grant.PageTable.RootAddress);
        grant.Revoke();
        grant.IsRevoked.ShouldBeTrue();
        rig.Machine.Mmu.Root.ShouldNotBe(grant.PageTable.RootAddress, "a revoked grant is not left loaded");
        Refused(grant, mine, AccessKind.Read).Reason.ShouldBe(FaultReason.NotPresent);
        grant.CheckRange(mine, 8, AccessKind.Read, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        grant.Activate(); // a revoked grant loads nothing
        rig.Machine.Mmu.Root.ShouldNotBe(grant.PageTable.RootAddress);
        Refused(grant, mine, AccessKind.Read).Reason.ShouldBe(FaultReason.NotPresent);
        Read(callee, mine).ShouldBe(9UL);
        grant.Release();
        grant.Release(); // idempotent: no frame given back twice
    }

    [Fact]
    public void A_write_through_a_grant_to_a_copy_on_write_page_of_the_callee_gives_the_callee_its_own_copy()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace callee = rig.NewPaged(), caller = rig.NewPaged(), other = rig.NewPaged();
        ulong mine = Map(callee, 0x4000_0000);
        Write(callee, mine, 1);
        callee.DuplicatePages(mine, 1, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);
        other.AttachPages(runs[0], Protection.ReadWrite, "copy", out ulong theirs).ShouldBe(ErrorCode.Ok);
        GrantSpace grant = Grant(callee, caller);
        Write(grant, mine, 2);
        callee.CopyOnWriteBreaks.ShouldBe(1);
        Read(callee, mine).ShouldBe(2UL);
        Read(other, theirs).ShouldBe(1UL, "the copy the other space holds is untouched");
        grant.Release();
    }

    // ---------------------------------------------------------------- MPU

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu, false)]
    [InlineData(ProtectionModel.ArmV7Mpu, true)]
    [InlineData(ProtectionModel.ArmV8Mpu, false)]
    [InlineData(ProtectionModel.ArmV8Mpu, true)]
    public void An_MPU_grant_allows_the_callee_and_the_callers_shared_buffers_as_protected(ProtectionModel model, bool loaded)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        ulong mine = Map(callee);
        ulong secret = Map(caller);
        var window = new RpcWindow();
        caller.MapShared(Page, window, out ulong rw).ShouldBe(ErrorCode.Ok);
        caller.MapShared(Page, window, out ulong ro).ShouldBe(ErrorCode.Ok);
        Write(caller, ro, 0x0A);
        caller.Protect(ro, Page, Protection.Read).ShouldBe(ErrorCode.Ok);

        GrantSpace grant = Grant(callee, caller);
        grant.SharedPages.ShouldBe(2);
        grant.MpuRegions.ShouldBe(3);
        if (loaded) grant.Activate();
        Write(grant, mine, 1);
        Write(grant, rw, 2);
        Read(grant, rw).ShouldBe(2UL);
        Read(grant, ro).ShouldBe(0x0AUL);
        Refused(grant, ro, AccessKind.Write).Address.ShouldBe(ro);
        Refused(grant, ro, AccessKind.Execute);
        Refused(grant, rw, AccessKind.Execute);
        Refused(grant, secret, AccessKind.Read);
        if (!loaded)
        {
            Refused(grant, ro, AccessKind.Write).Reason.ShouldBe(FaultReason.ReadOnly);
            Refused(grant, secret, AccessKind.Read).Reason.ShouldBe(FaultReason.NoRegion);
        }
        grant.Release();
        Read(caller, rw).ShouldBe(2UL);
        Refused(grant, rw, AccessKind.Read).Reason.ShouldBe(FaultReason.NoRegion);
        Refused(grant, mine, AccessKind.Read).Reason.ShouldBe(FaultReason.NoRegion);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void An_unloaded_MPU_grant_refuses_an_access_that_runs_past_the_end_of_a_shared_buffer(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        caller.MapShared(Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        GrantSpace grant = Grant(callee, caller);
        ulong last = shared + Page - 8;
        Read(grant, last).ShouldBe(0UL);
        grant.TryTranslate(last, 8, AccessKind.Read, out _, out _).ShouldBeTrue();
        grant.TryTranslate(last + 4, 8, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse("the buffer ends 4 bytes in");
        f.Address.ShouldBe(last + 4);
        grant.Release();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_grant_for_a_call_into_the_callers_own_space_takes_no_extra_region(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        Map(s);
        s.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        s.TryCreateGrant(s, out GrantSpace? grant, out int regions).ShouldBe(ErrorCode.Ok);
        regions.ShouldBe(2, "its own two areas");
        grant!.MpuRegions.ShouldBe(2);
        grant.SharedPages.ShouldBe(0);
        grant.Release();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void While_its_grant_is_loaded_the_callee_maps_into_the_MPU_at_once_and_the_shared_regions_count_against_its_budget(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        for (int i = 0; i < 5; i++) Map(callee);
        var window = new RpcWindow();
        for (int i = 0; i < 2; i++) caller.MapShared(Page, window, out _).ShouldBe(ErrorCode.Ok);
        GrantSpace grant = Grant(callee, caller);
        grant.Activate();

        ulong late = Map(callee); // 6 callee regions + 2 shared: the whole MPU
        rig.Machine.MpuOwner.ShouldBeSameAs(grant, "the grant was reprogrammed, not replaced by the callee");
        Write(grant, late, 0x1A7E);
        Read(callee, late).ShouldBe(0x1A7EUL);
        callee.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.NoMpuRegion, "the grant's SHARED regions are in use");
        callee.Unmap(late, Page).ShouldBe(ErrorCode.Ok);
        Refused(grant, late, AccessKind.Read);

        grant.Release();
        rig.Machine.MpuOwner.ShouldBeNull();
        Map(callee);
        Map(callee);
        Map(callee).ShouldNotBe(0UL, "with the grant gone the callee has its whole budget");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_callee_destroyed_while_its_grant_is_loaded_leaves_no_region_enabled(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        ulong mine = Map(callee);
        GrantSpace grant = Grant(callee, caller);
        grant.Activate();
        Read(grant, mine).ShouldBe(0UL);
        callee.Destroy();
        rig.Machine.MpuOwner.ShouldBeNull();
        rig.Machine.Mpu!.Check(mine, 8, AccessKind.Read, privileged: false).ShouldNotBeNull("the callee's region is off");
        grant.Release();
    }
}
