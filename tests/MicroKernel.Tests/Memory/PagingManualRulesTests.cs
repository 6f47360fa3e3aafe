using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// The x86-64 paging rules issue 19 asked for, each against the Intel SDM vol. 3A chapter 4 section named in the test:
/// CR3 reloads, writes that straddle pages, reserved bits, 2 MiB and 1 GiB pages, global pages.
/// </summary>
public sealed class PagingManualRulesTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private const ulong Large = AddressSpace.LargePageSize;
    private const ulong Va = 0x4000_0000; // 1 GiB: PDPT[1], PD[0]: 2 MiB-aligned

    // The bits, spelled out independently of the kernel's Pte constants.
    private const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, A = 1UL << 5, D = 1UL << 6, PS = 1UL << 7, G = 1UL << 8;
    private const ulong FrameBits = 0x000F_FFFF_FFFF_F000;

    private readonly List<MemoryRig> _rigs = [];

    private MemoryRig Rig(int frames = 256, ProtectionModel model = ProtectionModel.Paging)
    {
        var rig = new MemoryRig(model, frames);
        _rigs.Add(rig);
        return rig;
    }

    public void Dispose()
    {
        foreach (MemoryRig rig in _rigs) rig.DestroyAllAndCheck();
    }

    private static ulong Index(ulong va, int level) => (va >> (12 + 9 * level)) & 511;

    // The physical address of the entry for `va` at `level` (3 = PML4 .. 0 = PT), walking raw memory.
    private static ulong EntryAddress(PhysicalMemory ram, ulong root, ulong va, int level)
    {
        ulong table = root;
        for (int l = 3; l > level; l--) table = ram.ReadUInt64(table + Index(va, l) * 8) & FrameBits;
        return table + Index(va, level) * 8;
    }

    // ---------------------------------------------------------------- CR3 (SDM 4.10.4.1)

    [Fact]
    public void Sdm_4_10_4_1_a_MOV_to_CR3_of_the_value_it_holds_flushes_non_global_entries_and_counts()
    {
        const ulong Small = Va + 8 * Page; // not in TLB slot 0, which the kernel page (vpn 0xffff800000000) takes
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Small, Page, Protection.ReadWrite, "t", out _).ShouldBe(ErrorCode.Ok);
        s.Activate();
        s.TryWriteUInt64(Small, 7, out _).ShouldBeTrue();
        Tlb tlb = rig.Machine.Mmu.Tlb;
        tlb.Contains(Small).ShouldBeTrue();
        tlb.ContainsGlobal(PagedAddressSpace.KernelBase).ShouldBeTrue("the switch read the global kernel page");
        long flushes = tlb.Flushes;

        rig.Machine.Mmu.LoadRoot(rig.Machine.Mmu.Root); // "reload CR3 to flush"

        tlb.Flushes.ShouldBe(flushes + 1);
        tlb.Contains(Small).ShouldBeFalse("a user translation does not survive a CR3 load");
        tlb.ContainsGlobal(PagedAddressSpace.KernelBase).ShouldBeTrue("a global one does");
        long misses = tlb.Misses;
        s.TryReadUInt64(Small, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(7UL);
        tlb.Misses.ShouldBe(misses + 1, "the next access walks again");
    }

    // ---------------------------------------------------------------- A/D (SDM 4.8)

    [Fact]
    public void Sdm_4_8_a_write_refused_on_its_second_page_leaves_the_first_page_clean()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Page, Protection.ReadWrite, "rw", out _).ShouldBe(ErrorCode.Ok);
        s.Map(Va + Page, Page, Protection.Read, "ro", out _).ShouldBe(ErrorCode.Ok);
        ulong first = EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 0);
        foreach (bool active in new[] { false, true })
        {
            if (active) s.Activate();
            s.TryWrite(Va + Page - 4, new byte[8], out MemoryFault f).ShouldBeFalse();
            f.ShouldBe(new MemoryFault(Va + Page, AccessKind.Write, FaultReason.ReadOnly));
            (rig.Memory.ReadUInt64(first) & (A | D)).ShouldBe(0UL, $"no byte was written, so no A or D (space {(active ? "loaded" : "not loaded")})");
            rig.Machine.Mmu.Tlb.Contains(Va).ShouldBeFalse("the check fills no TLB entry either");
        }

        // The same write within the first page does write, and sets A and D there.
        s.TryWrite(Va + Page - 8, new byte[8], out _).ShouldBeTrue();
        (rig.Memory.ReadUInt64(first) & (A | D)).ShouldBe(A | D);
    }

    [Fact]
    public void Sdm_4_8_a_straddling_write_that_succeeds_dirties_both_pages()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, 2 * Page, Protection.ReadWrite, "rw", out _).ShouldBe(ErrorCode.Ok);
        s.TryWriteUInt64(Va + Page - 4, ulong.MaxValue, out _).ShouldBeTrue();
        (rig.Memory.ReadUInt64(EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 0)) & D).ShouldBe(D);
        (rig.Memory.ReadUInt64(EntryAddress(rig.Memory, s.PageTable.RootAddress, Va + Page, 0)) & D).ShouldBe(D);
    }

    // ---------------------------------------------------------------- reserved bits (SDM 4.5 table 4-20, 4.7)

    [Theory]
    [InlineData(0, 51)] // a PTE address bit above MAXPHYADDR (46)
    [InlineData(1, 46)] // a PDE (pointing at a table) address bit at MAXPHYADDR
    [InlineData(3, 7)] // PS in a PML4E
    public void Sdm_4_7_a_reserved_bit_in_a_present_entry_faults_with_RSVD(int level, int bit)
    {
        MemoryRig rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Page, Protection.ReadWrite, "t", out _).ShouldBe(ErrorCode.Ok);
        ulong at = EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, level);
        ulong entry = rig.Memory.ReadUInt64(at);
        rig.Memory.WriteUInt64(at, entry | (1UL << bit));
        Mmu mmu = rig.Machine.Mmu;
        mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(Va, AccessKind.Read, FaultReason.ReservedBit));
        s.TryReadUInt64(Va, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReservedBit);

        // Reserved bits of a not-present entry are ignored (SDM 4.7: the P flag is checked first).
        rig.Memory.WriteUInt64(at, (entry | (1UL << bit)) & ~P);
        mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        rig.Memory.WriteUInt64(at, entry);
    }

    [Fact]
    public void ReservedBit_came_after_the_recorded_reasons_so_their_numbers_and_exit_statuses_keep_their_meaning()
    {
        ((int)FaultReason.Injected).ShouldBe(13);
        ((int)FaultReason.ReservedBit).ShouldBe(14);
        new Processes.FaultRecord(1, 1, 0, 0, AccessKind.Read, FaultReason.ReservedBit, "").ExitStatus.ShouldBe(142);
    }

    // ---------------------------------------------------------------- 2 MiB pages (SDM 4.5 table 4-18)

    [Fact]
    public void Sdm_4_5_map_with_LargePages_writes_one_PDE_with_PS_and_a_2_MiB_aligned_frame()
    {
        MemoryRig rig = Rig(frames: 2048);
        PagedAddressSpace s = rig.NewPaged();
        s.Map(0, Large + Page, Protection.ReadWrite, MapFlags.LargePages, "big", out ulong at).ShouldBe(ErrorCode.Ok);
        (at % Large).ShouldBe(0UL, "the kernel picks a 2 MiB-aligned address");
        s.Areas.Single(v => v.Start == at).End.ShouldBe(at + 2 * Large, "the length is rounded up to 2 MiB");
        foreach (ulong va in new[] { at, at + Large })
        {
            ulong pde = rig.Memory.ReadUInt64(EntryAddress(rig.Memory, s.PageTable.RootAddress, va, 1));
            (pde & (P | RW | US | PS)).ShouldBe(P | RW | US | PS);
            ((pde & FrameBits) % Large).ShouldBe(0UL, "the frame is 2 MiB-aligned: bits 20:13 are reserved");
        }
        s.UserFrames().Count().ShouldBe(1024, "each of the 512 frames of a page is a user frame");
        rig.ShouldBalance();
        s.DumpHardware().ShouldContain("PS");
        s.DumpHardware().ShouldContain("2 MiB page, frames ");
    }

    [Fact]
    public void Sdm_4_5_a_2_MiB_page_translates_every_offset_and_takes_one_TLB_entry_of_its_own()
    {
        MemoryRig rig = Rig(frames: 2048);
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Large, Protection.ReadWrite, MapFlags.LargePages, "big", out _).ShouldBe(ErrorCode.Ok);
        s.Activate();
        Mmu mmu = rig.Machine.Mmu;
        ulong pde = rig.Memory.ReadUInt64(EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 1));
        mmu.Translate(Va + 0x12_3456, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe((pde & FrameBits) + 0x12_3456);

        long misses = mmu.Tlb.Misses, largeHits = mmu.Tlb.LargeHits;
        for (ulong off = 0; off < Large; off += Page) mmu.Translate(Va + off, AccessKind.Read, out _, out _).ShouldBeTrue();
        mmu.Tlb.Misses.ShouldBe(misses, "512 pages, no walk: one entry covers them all");
        mmu.Tlb.LargeHits.ShouldBe(largeHits + 512);
        mmu.Tlb.Slot(Va >> 12).Tag.ShouldNotBe((Va >> 12) + 1, "the 4 KiB array holds nothing of it");

        mmu.Tlb.Invalidate(Va + 5 * Page);
        mmu.Tlb.Contains(Va).ShouldBeFalse("INVLPG of any address inside drops the 2 MiB entry (SDM 4.10.4.1)");
    }

    [Fact]
    public void Sdm_4_8_Accessed_and_Dirty_of_a_2_MiB_page_are_set_in_the_PDE()
    {
        MemoryRig rig = Rig(frames: 2048);
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Large, Protection.ReadWrite, MapFlags.LargePages, "big", out _).ShouldBe(ErrorCode.Ok);
        ulong at = EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 1);
        (rig.Memory.ReadUInt64(at) & (A | D)).ShouldBe(0UL);
        s.TryReadUInt64(Va + 0x1F_F000, out _, out _).ShouldBeTrue();
        (rig.Memory.ReadUInt64(at) & (A | D)).ShouldBe(A);
        s.TryWriteUInt64(Va + 0x10_0000, 1, out _).ShouldBeTrue();
        (rig.Memory.ReadUInt64(at) & (A | D)).ShouldBe(A | D);
    }

    [Fact]
    public void Sdm_4_5_a_2_MiB_page_not_wholly_in_RAM_is_not_present_and_a_misaligned_one_is_reserved()
    {
        MemoryRig rig = Rig(frames: 2048);
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Large, Protection.ReadWrite, MapFlags.LargePages, "big", out _).ShouldBe(ErrorCode.Ok);
        ulong at = EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 1);
        ulong pde = rig.Memory.ReadUInt64(at);
        Mmu mmu = rig.Machine.Mmu;
        rig.Memory.WriteUInt64(at, (pde & ~FrameBits) | (1536UL << 12) | (1UL << 13)); // bit 13: below 2 MiB alignment
        mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReservedBit);
        rig.Memory.WriteUInt64(at, (pde & ~FrameBits) | (2048UL << 12)); // 2 MiB aligned, beyond the 8 MiB of RAM
        mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        rig.Memory.WriteUInt64(at, pde);
    }

    [Fact]
    public void Map_with_LargePages_refuses_a_misaligned_address_an_MPU_and_a_lack_of_aligned_frames()
    {
        MemoryRig rig = Rig(frames: 1024); // frames 512..1023 are the only aligned run, and the tables take some below
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va + Page, Large, Protection.ReadWrite, MapFlags.LargePages, "big", out _).ShouldBe(ErrorCode.Misaligned);
        s.Map(Va, Large, Protection.None, MapFlags.LargePages, "guard", out _).ShouldBe(ErrorCode.InvalidArgument);
        s.Map(Va, Large, Protection.ReadWrite, (MapFlags)0x200, "odd", out _).ShouldBe(ErrorCode.InvalidArgument);
        s.Map(Va, Large, Protection.ReadWrite, MapFlags.LargePages, "one", out _).ShouldBe(ErrorCode.Ok);
        int free = rig.Frames.FreeCount;
        s.Map(0, Large, Protection.ReadWrite, MapFlags.LargePages, "two", out _).ShouldBe(ErrorCode.OutOfMemory);
        rig.Frames.FreeCount.ShouldBe(free, "nothing taken");
        s.Areas.Count.ShouldBe(1);
        rig.ShouldBalance();

        MemoryRig mpu = Rig(frames: 1024, model: ProtectionModel.ArmV8Mpu);
        mpu.NewSpace().Map(0, Large, Protection.ReadWrite, MapFlags.LargePages, "big", out _).ShouldBe(ErrorCode.InvalidArgument);
    }

    [Fact]
    public void Unmapping_or_protecting_part_of_a_2_MiB_page_splits_it_into_512_PTEs_with_the_same_frames()
    {
        MemoryRig rig = Rig(frames: 2048);
        PagedAddressSpace s = rig.NewPaged();
        s.Map(Va, Large, Protection.ReadWrite, MapFlags.LargePages, "big", out _).ShouldBe(ErrorCode.Ok);
        s.Activate();
        s.TryWriteUInt64(Va + 3 * Page, 33, out _).ShouldBeTrue();
        ulong firstFrame = (rig.Memory.ReadUInt64(EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 1)) & FrameBits) >> 12;
        rig.Machine.Mmu.Tlb.Contains(Va).ShouldBeTrue();
        int free = rig.Frames.FreeCount;

        s.Protect(Va + 4 * Page, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        rig.Frames.FreeCount.ShouldBe(free, "the table frame was set aside when the page was mapped");
        (rig.Memory.ReadUInt64(EntryAddress(rig.Memory, s.PageTable.RootAddress, Va, 1)) & PS).ShouldBe(0UL, "the PDE now points at a PT");
        rig.Machine.Mmu.Tlb.Contains(Va).ShouldBeFalse("the 2 MiB entry covering the change was invalidated");
        for (ulong i = 0; i < 512; i += 97)
            Pte.FrameOf(s.QueryEntry(Va + i * Page)).ShouldBe(firstFrame + i);
        s.TryReadUInt64(Va + 3 * Page, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(33UL, "same frames, same bytes");
        s.TryWriteUInt64(Va + 4 * Page, 1, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);

        s.Unmap(Va + 5 * Page, Page).ShouldBe(ErrorCode.Ok);
        rig.Frames.RefCount(firstFrame + 5).ShouldBe(0, "its frame is free");
        s.TryReadUInt64(Va + 5 * Page, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        rig.ShouldBalance();
        s.Unmap(Va, Large).ShouldBe(ErrorCode.NotMapped, "page 5 is gone");
        s.Unmap(Va, 5 * Page).ShouldBe(ErrorCode.Ok);
        s.Unmap(Va + 6 * Page, Large - 6 * Page).ShouldBe(ErrorCode.Ok);
        rig.Frames.UserCount.ShouldBe(0);
    }

    // ---------------------------------------------------------------- 1 GiB pages (SDM 4.5 table 4-16)

    [Fact]
    public void Sdm_4_5_a_PDPTE_with_PS_maps_1_GiB_with_its_own_TLB_entries_and_must_be_1_GiB_aligned()
    {
        // A 1 GiB page needs 1 GiB of RAM behind it (this machine has no device memory): 262144 frames for the page at
        // physical 0, a few more for the tables above it. The array is allocated, not touched, so it costs little.
        const int pageFrames = 1 << 18;
        var ram = new PhysicalMemory(pageFrames + 16);
        var mmu = new Mmu(ram);
        ulong pml4 = (ulong)pageFrames << 12, pdpt = pml4 + Page;
        ram.WriteUInt64(pml4 + 0 * 8, pdpt | P | RW | US);
        ram.WriteUInt64(pdpt + 1 * 8, 0UL | P | RW | US | PS); // va 1 GiB .. 2 GiB -> pa 0 .. 1 GiB
        mmu.LoadRoot(pml4);

        mmu.Translate(Va + 0x3FFF_F008, AccessKind.Write, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe(0x3FFF_F008UL);
        (ram.ReadUInt64(pdpt + 8) & (A | D)).ShouldBe(A | D, "A and D on the PDPTE, the 1 GiB leaf");
        long misses = mmu.Tlb.Misses;
        mmu.Translate(Va, AccessKind.Read, out pa, out _).ShouldBeTrue();
        pa.ShouldBe(0UL);
        mmu.Tlb.Misses.ShouldBe(misses, "the 1 GiB entry serves the whole gigabyte");
        mmu.Tlb.LargeHits.ShouldBe(1);

        ram.WriteUInt64(pdpt + 8, (512UL << 12) | P | RW | US | PS); // 2 MiB-aligned only: bits 29:13 reserved
        mmu.LoadRoot(pml4);
        mmu.Translate(Va, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReservedBit);
    }

    // ---------------------------------------------------------------- global pages (SDM 4.10.2.4, 4.10.4.1)

    [Fact]
    public void Sdm_4_10_2_4_the_global_kernel_page_survives_CR3_loads_and_the_TLB_counts_the_walks_it_saves()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        Mmu mmu = rig.Machine.Mmu;
        a.Activate();
        long misses = mmu.Tlb.Misses, kept = mmu.Tlb.GlobalKept;
        for (int i = 0; i < 10; i++) { b.Activate(); a.Activate(); }
        mmu.Tlb.Misses.ShouldBe(misses, "every switch found the kernel page in the TLB");
        mmu.Tlb.GlobalKept.ShouldBe(kept + 20);

        // A user access still faults: the cached entry allows supervisor accesses only.
        mmu.Translate(PagedAddressSpace.KernelBase, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.Supervisor);

        // INVLPG drops a global entry too.
        mmu.Tlb.Invalidate(PagedAddressSpace.KernelBase);
        mmu.Tlb.Contains(PagedAddressSpace.KernelBase).ShouldBeFalse();

        // With CR4.PGE clear, G is ignored: each switch walks again.
        mmu.GlobalPagesEnabled = false;
        misses = mmu.Tlb.Misses;
        for (int i = 0; i < 10; i++) { b.Activate(); a.Activate(); }
        mmu.Tlb.Misses.ShouldBe(misses + 20);
        mmu.GlobalPagesEnabled = true;
    }

    [Fact]
    public void Sdm_4_10_4_1_toggling_CR4_PGE_and_unloading_CR3_flush_global_entries_too()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged();
        Mmu mmu = rig.Machine.Mmu;
        a.Activate();
        mmu.Tlb.ContainsGlobal(PagedAddressSpace.KernelBase).ShouldBeTrue();
        long flushes = mmu.Tlb.Flushes;
        mmu.GlobalPagesEnabled = false;
        mmu.Tlb.Flushes.ShouldBe(flushes + 1);
        mmu.Tlb.Contains(PagedAddressSpace.KernelBase).ShouldBeFalse();
        mmu.GlobalPagesEnabled = true;
        mmu.TranslateSupervisor(PagedAddressSpace.KernelBase, AccessKind.Read, out _, out _).ShouldBeTrue();
        mmu.Tlb.ContainsGlobal(PagedAddressSpace.KernelBase).ShouldBeTrue();
        mmu.UnloadRoot();
        mmu.Tlb.Contains(PagedAddressSpace.KernelBase).ShouldBeFalse();
    }

    [Fact]
    public void Supervisor_accesses_need_no_U_S_but_still_obey_R_W_and_NX()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged();
        a.Map(Va, Page, Protection.Read, "ro", out _).ShouldBe(ErrorCode.Ok);
        a.Activate();
        Mmu mmu = rig.Machine.Mmu;
        mmu.TranslateSupervisor(PagedAddressSpace.KernelBase, AccessKind.Write, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe(0UL);
        mmu.TranslateSupervisor(PagedAddressSpace.KernelBase, AccessKind.Execute, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NoExecute);
        mmu.TranslateSupervisor(Va, AccessKind.Write, out _, out f).ShouldBeFalse("CR0.WP = 1");
        f.Reason.ShouldBe(FaultReason.ReadOnly);
    }
}
