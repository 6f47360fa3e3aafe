using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The space's own checks of an RPC SHARED buffer (<c>AddressSpace.MapShared</c>, under rpc_shared's limits): an
/// empty buffer, a destroyed space, a length no space holds (which would round up to nothing), each refused with
/// nothing mapped and the window untouched; a buffer mapped marks the space changed. And a destroyed space that is
/// switched to loads nothing (its table frames may be another space's by then).
/// </summary>
public sealed class SharedBufferTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    public static TheoryData<ProtectionModel> AllModels => new() { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging) => _rig = new MemoryRig(model, frames: 256);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_SHARED_buffer_of_nothing_too_much_or_in_a_destroyed_space_is_refused_and_maps_nothing(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        var window = new RpcWindow();
        long generation = s.Generation;
        int free = rig.Frames.FreeCount;
        s.MapShared(0, window, out ulong mapped).ShouldBe(ErrorCode.InvalidArgument);
        mapped.ShouldBe(0UL);
        s.MapShared(ulong.MaxValue, window, out _).ShouldBe(ErrorCode.OutOfMemory, "a length that would round up to 0");
        s.MapShared(s.UserHigh + 1, window, out _).ShouldBe(ErrorCode.OutOfMemory);
        s.Areas.ShouldBeEmpty();
        s.Generation.ShouldBe(generation);
        rig.Frames.FreeCount.ShouldBe(free);
        window.Next.ShouldBe(PagedAddressSpace.RpcWindowBase);

        s.MapShared(1, window, out mapped).ShouldBe(ErrorCode.Ok);
        s.Generation.ShouldBeGreaterThan(generation);
        s.Areas.Single().Shared.ShouldBeTrue();
        s.DumpMaps().ShouldContain("rw-s rpc shared");

        s.Destroy();
        s.MapShared(Page, window, out mapped).ShouldBe(ErrorCode.BadAddress);
        mapped.ShouldBe(0UL);
    }

    [Fact]
    public void Switching_to_a_destroyed_paging_space_loads_no_table()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace dead = rig.NewPaged(), other = rig.NewPaged();
        other.Activate();
        dead.Destroy();
        PagedAddressSpace heir = rig.NewPaged(); // takes the frames the dead table used
        dead.Activate();
        rig.Machine.Mmu.Root.ShouldBe(ulong.MaxValue, "nothing loaded");
        rig.Machine.Mmu.Root.ShouldNotBe(heir.PageTable.RootAddress);
    }
}
