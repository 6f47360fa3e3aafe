using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// <see cref="MemoryView.CheckRange"/>, what every copy in and out of user memory checks first: an empty range, a
/// range that wraps past the top of the address space, a read that runs into an unmapped page (the fault names that
/// page), and a copy-on-write page, copied for a write check and left shared for a read check.
/// </summary>
public sealed class CheckRangeTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private const ulong Va = 0x4000_0000;
    private MemoryRig? _rig;

    public static TheoryData<ProtectionModel> AllModels => new() { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging) => _rig = new MemoryRig(model, frames: 256);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    [Theory]
    [MemberData(nameof(AllModels))]
    public void An_empty_range_is_allowed_anywhere_and_a_wrapping_one_is_non_canonical(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        s.CheckRange(0xDEAD_0000, 0, AccessKind.Write, out MemoryFault f).ShouldBeTrue("nothing to touch");
        f.ShouldBe(default);
        s.CheckRange(ulong.MaxValue - 3, 8, AccessKind.Read, out f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(ulong.MaxValue - 3, AccessKind.Read, FaultReason.NonCanonical));
        s.TryRead(ulong.MaxValue - 3, new byte[8], out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NonCanonical);
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_read_that_runs_into_an_unmapped_page_faults_at_that_page_and_reads_nothing(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        s.Map(0, Page, Protection.ReadWrite, "one", out ulong a).ShouldBe(ErrorCode.Ok);
        s.TryWriteUInt64(a + Page - 8, 0x1122_3344_5566_7788, out _).ShouldBeTrue();
        s.TryReadUInt64(a + Page - 4, out ulong value, out MemoryFault f).ShouldBeFalse();
        value.ShouldBe(0UL);
        f.Address.ShouldBe(a + Page);
        f.Access.ShouldBe(AccessKind.Read);
        s.CheckRange(a, Page, AccessKind.Read, out _).ShouldBeTrue("exactly the page");
        s.CheckRange(a, Page + 1, AccessKind.Read, out f).ShouldBeFalse("one byte more");
        f.Address.ShouldBe(a + Page);
    }

    [Fact]
    public void A_write_check_copies_a_copy_on_write_page_and_a_read_check_does_not()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, 2 * Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        a.DuplicatePages(Va, 2, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);
        b.AttachPages(runs[0], Protection.ReadWrite, "copy", out _).ShouldBe(ErrorCode.Ok);

        a.CheckRange(Va, 2 * Page, AccessKind.Read, out _).ShouldBeTrue();
        a.CopyOnWriteBreaks.ShouldBe(0);
        a.CheckRange(Va + Page - 1, 2, AccessKind.Write, out _).ShouldBeTrue();
        a.CopyOnWriteBreaks.ShouldBe(2, "both pages the write would touch are a's own now");
    }
}
