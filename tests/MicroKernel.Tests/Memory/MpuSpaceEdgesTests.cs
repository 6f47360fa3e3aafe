using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// MpuAddressSpace.cs and its mpu-regions check (MpuAddressSpace.Invariants.cs) at their edges: a machine without an
/// MPU, the advice for a refused fixed map, an access that ends exactly at (or runs past) the end of an area of a
/// space the MPU does not hold, a destroyed space switched to, the frames a space lists, a map of every free frame,
/// a region the MPU rejects, and the region check for an area at the top of RAM, past it, misaligned, not loaded, or
/// loaded where only privileged code may read it.
/// </summary>
public sealed class MpuSpaceEdgesTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    private MemoryRig Rig(ProtectionModel model, int frames = 64) => _rig = new MemoryRig(model, frames);

    public void Dispose() => _rig?.DestroyAllAndCheck();

    private static ulong Map(AddressSpace s, ulong pages = 1, ulong address = 0)
    {
        s.Map(address, pages * Page, Protection.ReadWrite, "anon", out ulong mapped).ShouldBe(ErrorCode.Ok);
        return mapped;
    }

    [Fact]
    public void An_MPU_space_on_a_machine_without_an_MPU_is_refused_by_name()
    {
        var machine = new Machine(16, ProtectionModel.Paging);
        var frames = new FrameAllocator(machine.Memory, reservedFrames: 1);
        Should.Throw<ArgumentException>(() => new MpuAddressSpace(machine, frames)).Message.ShouldStartWith("machine has no MPU");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void The_advice_for_a_fixed_map_past_the_end_of_RAM_holds_from_the_first_user_page(ProtectionModel model)
    {
        AddressSpace s = Rig(model).NewSpace();
        s.MapRefusalAdvice(s.UserLow, s.UserHigh, ErrorCode.BadAddress).ShouldNotBeNull()
            .ShouldStartWith("there is no translation under an MPU, so the segment's address is a physical one");
        s.MapRefusalAdvice(0, s.UserHigh + Page, ErrorCode.BadAddress).ShouldBeNull("below the first user page: not a RAM size problem");
    }

    [Fact]
    public void The_ARMv7_advice_for_a_misaligned_segment_names_the_block_it_needs_word_for_word()
    {
        AddressSpace s = Rig(ProtectionModel.ArmV7Mpu).NewSpace();
        s.MapRefusalAdvice(Page, 3 * Page, ErrorCode.Misaligned).ShouldBe(
            "an ARMv7-M MPU region must be a power of two bytes long and start at a multiple of its size; " +
            "this segment needs a 16 KiB region at a multiple of 0x4000. Link it at such an address " +
            "(e.g. -Wl,-Ttext-segment=...), or run it under ArmV8Mpu or Paging");
        s.MapRefusalAdvice(2 * Page, 9 * Page, ErrorCode.Misaligned).ShouldNotBeNull().ShouldContain("a 64 KiB region at a multiple of 0x10000.");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void An_access_of_a_space_the_MPU_does_not_hold_may_end_at_its_area_end_but_not_run_past_it(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace(), other = rig.NewSpace();
        Map(s, 2);
        Map(other);
        other.Activate();
        ulong end = s.Areas.Single().End;

        s.TryTranslate(end - 8, 8, AccessKind.Read, out ulong pa, out MemoryFault f).ShouldBeTrue(f.ToString());
        pa.ShouldBe(end - 8);
        s.TryTranslate(end - 4, 8, AccessKind.Read, out _, out f).ShouldBeFalse("the last 4 bytes are past the area");
        f.ShouldBe(new MemoryFault(end, AccessKind.Read, FaultReason.NoRegion), "the fault names the first byte past the area");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Switching_to_a_destroyed_space_loads_nothing_and_unloads_the_previous_one(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace(), other = rig.NewSpace();
        Map(s);
        ulong theirs = Map(other);
        s.Destroy();
        other.Activate();
        s.Activate();
        rig.Machine.MpuOwner.ShouldBeNull();
        rig.Machine.Mpu!.Check(theirs, 8, AccessKind.Read, privileged: false).ShouldNotBeNull("the other space's region is off");
        s.DumpHardware().ShouldEndWith("(not loaded: regions are programmed at the next switch to this process)\n");
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_space_lists_each_frame_of_a_block_at_its_own_address(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        Map(s);
        ulong a = Map(s, 4);
        s.UserFrames().Where(x => x.VirtualAddress >= a).ShouldBe(
            [(a, a / Page), (a + Page, a / Page + 1), (a + 2 * Page, a / Page + 2), (a + 3 * Page, a / Page + 3)]);
    }

    [Fact]
    public void An_ARMv8_map_of_exactly_every_free_frame_succeeds()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV8Mpu, frames: 16);
        AddressSpace s = rig.NewSpace();
        ulong free = (ulong)rig.Frames.FreeCount;
        s.Map(0, (free + 1) * Page, Protection.ReadWrite, "too big", out _).ShouldBe(ErrorCode.OutOfMemory);
        ulong a = Map(s, free);
        a.ShouldBe(Page);
        rig.Frames.FreeCount.ShouldBe(0);
    }

    [Fact]
    public void A_region_the_MPU_rejects_is_reported_as_a_kernel_bug()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV7Mpu);
        var odd = new Vma(3 * Page, 6 * Page, Protection.ReadWrite, "odd") { FirstFrame = 3, BlockFrames = 3 };
        Should.Throw<InvalidOperationException>(() => MpuAddressSpace.ProgramRegion(rig.Machine.Mpu!, 2, odd))
            .Message.ShouldStartWith($"kernel bug: region 2 for {odd} rejected: ");
    }

    // ---------------------------------------------------------------- the mpu-regions check

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void An_area_that_ends_exactly_at_the_end_of_RAM_is_sound(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        var s = (MpuAddressSpace)rig.NewSpace();
        Map(s, 1, s.UserHigh - Page);
        s.Areas.Single().End.ShouldBe(rig.Memory.Size);
        s.CheckRegions("s").ShouldBeEmpty();
        s.Activate();
        s.CheckRegions("s").ShouldBeEmpty();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void The_regions_of_a_space_the_MPU_does_not_hold_are_not_checked_against_the_MPU(ProtectionModel model)
    {
        MemoryRig rig = Rig(model);
        var s = (MpuAddressSpace)rig.NewSpace();
        AddressSpace other = rig.NewSpace();
        Map(s);
        Map(other);
        other.Activate();
        s.CheckRegions("s").ShouldBeEmpty("the MPU holds the other space: s's regions come back at its next switch");
    }

    [Fact]
    public void A_loaded_region_that_lets_only_privileged_code_read_is_reported()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV7Mpu);
        var s = (MpuAddressSpace)rig.NewSpace();
        ulong a = Map(s);
        s.Activate();
        // On ARMv7-M the highest-numbered region wins: one over the area that only privileged code may use.
        rig.Machine.Mpu!.ProgramRegion(7, a, Page, MpuAccess.PrivilegedReadWrite, executeNever: true).ShouldBe(MpuError.None);
        s.CheckRegions("s").ShouldHaveSingleItem().ShouldContain($"is loaded but the MPU refuses a read at 0x{a:x}");
        rig.Machine.Mpu.DisableRegion(7).ShouldBe(MpuError.None);
        s.CheckRegions("s").ShouldBeEmpty();
    }

    [Fact]
    public void An_area_moved_past_the_end_of_RAM_is_reported()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV8Mpu);
        var s = (MpuAddressSpace)rig.NewSpace();
        Map(s, 2);
        Vma v = s.Areas.Single();
        (ulong start, ulong end, ulong first) = (v.Start, v.End, v.FirstFrame);
        // Still exactly its block, but the block's second frame is past the last one.
        v.FirstFrame = (ulong)rig.Memory.FrameCount - 1;
        v.Start = v.FirstFrame * Page;
        v.End = v.Start + 2 * Page;
        s.CheckRegions("s").ShouldBe([$"s: region for VMA {v} (frames {v.FirstFrame}+2) runs past the end of RAM"]);
        (v.Start, v.End, v.FirstFrame) = (start, end, first);
        s.CheckRegions("s").ShouldBeEmpty();
    }

    [Fact]
    public void An_ARMv7_block_of_a_power_of_two_at_an_address_not_a_multiple_of_its_size_is_reported()
    {
        MemoryRig rig = Rig(ProtectionModel.ArmV7Mpu);
        var s = (MpuAddressSpace)rig.NewSpace();
        Map(s, 2);
        Vma v = s.Areas.Single();
        (ulong start, ulong end, ulong first) = (v.Start, v.End, v.FirstFrame);
        v.FirstFrame = first + 1;
        v.Start = v.FirstFrame * Page;
        v.End = v.Start + 2 * Page;
        s.CheckRegions("s").ShouldBe([$"s: region for VMA {v} (frames {v.FirstFrame}+2) is not a power-of-two block aligned to its size (ARMv7-M)"]);
        (v.Start, v.End, v.FirstFrame) = (start, end, first);
        s.CheckRegions("s").ShouldBeEmpty();
    }
}
