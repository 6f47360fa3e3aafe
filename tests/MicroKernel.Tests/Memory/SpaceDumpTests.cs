using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// What <see cref="MemoryView.DumpHardware"/> shows for each kind of view (what `mk` prints for a process's hardware
/// state): a destroyed paging space, an MPU space loaded and not loaded, and an RPC grant under each model, live and
/// revoked. Word for word, since a student reads these lines.
/// </summary>
public sealed class SpaceDumpTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging) => _rig = new MemoryRig(model, frames: 256);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    [Fact]
    public void A_destroyed_paging_space_says_its_tables_are_free()
    {
        AddressSpace s = Rig().NewSpace();
        s.Map(0, Page, Protection.ReadWrite, "anon", out _).ShouldBe(ErrorCode.Ok);
        s.DumpHardware().ShouldStartWith("CR3 = 0x");
        s.Destroy();
        s.DumpHardware().ShouldBe("(address space destroyed: its table frames are free)\n");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu, "ARMv7-M PMSA")]
    [InlineData(ProtectionModel.ArmV8Mpu, "ARMv8-M PMSA")]
    public void An_MPU_space_shows_its_budget_and_its_regions_only_while_loaded(ProtectionModel model, string name)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace(reservedRegions: 2);
        s.Map(0, Page, Protection.ReadWrite, "a", out _).ShouldBe(ErrorCode.Ok);
        s.Map(0, Page, Protection.Read, "b", out _).ShouldBe(ErrorCode.Ok);
        string header = $"{name}, 8 regions, 2 used by this process (budget 6)\n";
        s.DumpHardware().ReplaceLineEndings("\n").ShouldBe(header + "(not loaded: regions are programmed at the next switch to this process)\n");
        s.Activate();
        s.DumpHardware().ReplaceLineEndings("\n").ShouldBe(header + rig.Machine.Mpu!.Describe().ReplaceLineEndings("\n"));
    }

    [Fact]
    public void A_paging_grant_shows_its_window_then_its_tables_and_once_released_says_so()
    {
        MemoryRig rig = Rig();
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        caller.MapShared(3 * Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? g, out _).ShouldBe(ErrorCode.Ok);
        var grant = (PagedGrantSpace)g!;
        grant.DumpHardware().ShouldBe("RPC grant: callee tables below, RPC window slot 254 holds 3 SHARED pages\n" + grant.PageTable.Dump());
        grant.Release();
        grant.DumpHardware().ShouldBe("(RPC grant revoked)\n");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void An_MPU_grant_counts_its_regions_and_shows_them_only_while_loaded(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace callee = rig.NewSpace(), caller = rig.NewSpace();
        callee.Map(0, Page, Protection.ReadWrite, "a", out _).ShouldBe(ErrorCode.Ok);
        callee.Map(0, Page, Protection.ReadWrite, "b", out _).ShouldBe(ErrorCode.Ok);
        caller.MapShared(Page, new RpcWindow(), out _).ShouldBe(ErrorCode.Ok);
        callee.TryCreateGrant(caller, out GrantSpace? grant, out _).ShouldBe(ErrorCode.Ok);
        const string header = "RPC grant: 2 callee regions + 1 SHARED regions of 8\n";
        grant!.DumpHardware().ShouldBe(header + "(not loaded)\n");
        grant.Activate();
        grant.DumpHardware().ReplaceLineEndings("\n").ShouldBe(header + rig.Machine.Mpu!.Describe().ReplaceLineEndings("\n"));
        grant.Release();
        grant.DumpHardware().ShouldBe("RPC grant: 2 callee regions + 0 SHARED regions of 8\n(not loaded)\n");
    }
}
