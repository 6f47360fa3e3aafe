using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// Page transfer and RPC grants under an MPU (MpuAddressSpace.Ipc.cs, MpuGrantSpace.cs): a block that may not be
/// sent, a block detached from or attached to a space (its mappings change, the MPU follows at once), an eager copy
/// (every page copied, nothing else written, placed as each MPU model requires, the sender made read-only at once),
/// and a grant revoked while loaded.
/// </summary>
public sealed class MpuTransferAndGrantTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    private MemoryRig Rig(ProtectionModel model, int frames = 64) => _rig = new MemoryRig(model, frames);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    private static ulong Map(AddressSpace s, ulong pages = 1, ulong address = 0, Protection protection = Protection.ReadWrite)
    {
        s.Map(address, pages * Page, protection, "anon", out ulong mapped).ShouldBe(ErrorCode.Ok);
        return mapped;
    }

    private static ulong Read(MemoryView v, ulong va)
    {
        v.TryReadUInt64(va, out ulong value, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return value;
    }

    private static void Write(MemoryView v, ulong va, ulong value) =>
        v.TryWriteUInt64(va, value, out MemoryFault f).ShouldBeTrue($"write at 0x{va:x}: {f}");

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_block_its_owner_cannot_read_may_not_be_sent(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        ulong none = Map(s, protection: Protection.None);
        ulong readable = Map(s, protection: Protection.Read);
        s.CheckSendRange(none, 1, needWrite: false).ShouldBe(ErrorCode.NotPermitted);
        s.CheckSendRange(readable, 1, needWrite: false).ShouldBe(ErrorCode.Ok);
        s.CheckSendRange(readable, 1, needWrite: true).ShouldBe(ErrorCode.NotPermitted);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_block_detached_from_the_loaded_space_is_gone_from_the_MPU_at_once_and_both_spaces_mappings_change(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace(), peer = rig.NewSpace();
        s.Activate();
        ulong a = Map(s);
        ulong kept = Map(s);
        Write(s, a, 0xA1);
        long sBefore = s.Generation, peerBefore = peer.Generation;

        PageRun run = s.DetachPages(a, 1);
        s.Generation.ShouldBeGreaterThan(sBefore, "a grant built before the detach is stale");
        rig.Machine.Mpu!.Check(a, 8, AccessKind.Read, privileged: false).ShouldNotBeNull().Reason.ShouldBe(FaultReason.NoRegion);
        s.TryReadUInt64(a, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NoRegion);
        Read(s, kept).ShouldBe(0UL);

        peer.AttachPages(run, Protection.Read, "moved", out ulong b).ShouldBe(ErrorCode.Ok);
        b.ShouldBe(a, "no translation: the block keeps its address");
        peer.Generation.ShouldBeGreaterThan(peerBefore, "a grant built before the attach is stale");
        Read(peer, b).ShouldBe(0xA1UL);
    }

    [Fact]
    public void An_ARMv8_eager_copy_copies_every_page_into_the_lowest_free_frames_and_writes_nothing_else()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV8Mpu);
        AddressSpace s = rig.NewSpace(), peer = rig.NewSpace(), receiver = rig.NewSpace();
        s.Activate();
        ulong a = Map(s, 2, address: Page);         // frames 1-2
        ulong x = Map(s, 2, address: 3 * Page);     // frames 3-4
        ulong y = Map(peer, 1, address: 7 * Page);  // frame 7; frames 5-6 are the lowest free run of two
        Write(s, a, 0x11);
        Write(s, a + Page, 0x22);
        Write(s, x, 0x33);
        Write(s, x + Page, 0x44);
        Write(peer, y, 0x77);
        long before = s.Generation;

        s.DuplicatePages(a, 2, senderKeepsWrite: false, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);

        runs.Single().Frames.ToArray().ShouldBe(new ulong[] { 5, 6 }, "ARMv8-M: any start will do, no alignment");
        s.Generation.ShouldBeGreaterThan(before, "the sender's area changed protection");
        s.TryWriteUInt64(a, 1, out MemoryFault f).ShouldBeFalse("the sender is read-only at once, without a switch");
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        rig.Machine.Mpu!.Check(a, 8, AccessKind.Write, privileged: false).ShouldNotBeNull();
        Read(s, x + Page).ShouldBe(0x44UL, "the copy wrote nothing of the sender's");
        Read(peer, y).ShouldBe(0x77UL, "the copy wrote nothing past its own block");

        receiver.AttachPages(runs[0], Protection.Read, "copy", out ulong c).ShouldBe(ErrorCode.Ok);
        c.ShouldBe(5 * Page);
        Read(receiver, c).ShouldBe(0x11UL);
        Read(receiver, c + Page).ShouldBe(0x22UL);
    }

    [Fact]
    public void An_ARMv7_eager_copy_is_a_block_aligned_to_its_size()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV7Mpu);
        AddressSpace s = rig.NewSpace();
        Map(s).ShouldBe(Page);              // frame 1
        ulong a = Map(s, 2);                // frames 2-3
        Map(s).ShouldBe(4 * Page);          // frame 4: frame 5 is free but odd
        a.ShouldBe(2 * Page);
        Write(s, a + Page, 0x22);

        s.DuplicatePages(a, 2, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);

        runs.Single().Frames.ToArray().ShouldBe(new ulong[] { 6, 7 }, "ARMv7-M: a two-frame block starts at an even frame");
        rig.Memory.ReadUInt64(7 * Page).ShouldBe(0x22UL);
        s.ReleaseRun(runs[0]);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_grant_revoked_while_loaded_leaves_no_region_enabled_and_cannot_be_loaded_again(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        ulong mine = Map(callee);
        caller.MapShared(Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);
        GrantSpace grant = g!;
        grant.TryTranslate(shared, 8, AccessKind.Write, out _, out MemoryFault f).ShouldBeTrue();
        f.ShouldBe(default(MemoryFault), "an allowed access reports no fault");
        grant.Activate();
        Write(grant, shared, 0x5A);
        MicroKernel.Hardware.Mpu.Mpu mpu = rig.Machine.Mpu!;

        grant.Revoke();
        rig.Machine.MpuOwner.ShouldBeNull();
        mpu.Check(mine, 8, AccessKind.Read, privileged: false).ShouldNotBeNull("the callee's region is off");
        mpu.Check(shared, 8, AccessKind.Read, privileged: false).ShouldNotBeNull("the SHARED region is off");

        grant.Activate();
        rig.Machine.MpuOwner.ShouldBeNull("a revoked grant is never loaded");
        mpu.Check(mine, 8, AccessKind.Read, privileged: false).ShouldNotBeNull();
        grant.TryReadUInt64(shared, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NoRegion);
        grant.Release();
        Read(caller, shared).ShouldBe(0x5AUL);
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Destroying_a_destroyed_callee_again_leaves_a_grant_loaded_over_it_alone(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        Map(callee);
        caller.MapShared(Page, new RpcWindow(), out ulong shared).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);
        callee.Destroy();
        g!.Activate();
        rig.Machine.MpuOwner.ShouldBeSameAs(g);

        callee.Destroy(); // a second destroy does nothing
        rig.Machine.MpuOwner.ShouldBeSameAs(g);
        Write(g, shared, 1);
        g.Release();
    }
}
