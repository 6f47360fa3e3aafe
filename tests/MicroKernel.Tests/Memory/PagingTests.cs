using System.Text.RegularExpressions;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

public sealed class PagingTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;

    // A user address whose four 9-bit table indices all differ: PML4 1, PDPT 2, PD 3, PT 4, offset 0.
    private const ulong Va = (1UL << 39) | (2UL << 30) | (3UL << 21) | (4UL << 12);

    // The x86-64 bits, spelled out here independently of the kernel's Pte constants.
    private const ulong P = 1UL << 0, RW = 1UL << 1, US = 1UL << 2, A = 1UL << 5, D = 1UL << 6, PS = 1UL << 7, G = 1UL << 8, NX = 1UL << 63;
    private const ulong FrameBits = 0x000F_FFFF_FFFF_F000;

    private readonly MemoryRig _rig;

    public PagingTests() => _rig = new MemoryRig(ProtectionModel.Paging, frames: 256);

    public void Dispose() => _rig.DestroyAllAndCheck();

    private PhysicalMemory Ram => _rig.Memory;

    private Mmu Mmu => _rig.Machine.Mmu;

    private static ulong MapAt(PagedAddressSpace s, ulong va, ulong length = Page, Protection prot = Protection.ReadWrite)
    {
        s.Map(va, length, prot, "t", out ulong mapped).ShouldBe(ErrorCode.Ok);
        mapped.ShouldBe(va);
        return va;
    }

    private static ulong Index(ulong va, int level) => (va >> (12 + 9 * level)) & 511;

    // The physical address of the entry for `va` at `level` (3 = PML4 .. 0 = PT), walking raw memory.
    private ulong EntryAddress(PagedAddressSpace s, ulong va, int level)
    {
        ulong table = s.PageTable.RootAddress;
        for (int l = 3; l > level; l--)
        {
            ulong e = Ram.ReadUInt64(table + Index(va, l) * 8);
            (e & P).ShouldBe(P, $"level {l} entry for 0x{va:x} should be present");
            table = e & FrameBits;
        }
        return table + Index(va, level) * 8;
    }

    private ulong Entry(PagedAddressSpace s, ulong va, int level) => Ram.ReadUInt64(EntryAddress(s, va, level));

    private bool Translate(ulong va, AccessKind access, out ulong pa, out MemoryFault fault) => Mmu.Translate(va, access, out pa, out fault);

    private void ShouldTranslateFault(ulong va, AccessKind access, FaultReason reason)
    {
        Translate(va, access, out _, out MemoryFault f).ShouldBeFalse($"{access} at 0x{va:x}");
        f.ShouldBe(new MemoryFault(va, access, reason));
    }

    // ---------------------------------------------------------------- the tables in physical memory

    [Fact]
    public void Virtual_address_splits_into_four_9_bit_indices_and_an_offset()
    {
        Index(Va, 3).ShouldBe(1UL);
        Index(Va, 2).ShouldBe(2UL);
        Index(Va, 1).ShouldBe(3UL);
        Index(Va, 0).ShouldBe(4UL);
        Va.ShouldBe(0x0000_0080_8060_4000UL);
        Index(PagedAddressSpace.KernelBase, 3).ShouldBe(256UL);
    }

    [Fact]
    public void Page_table_lives_in_physical_memory_in_x86_64_format()
    {
        PagedAddressSpace s = _rig.NewPaged();
        int tablesBefore = s.PageTable.TableFrameCount;
        tablesBefore.ShouldBe(4, "PML4 + the PDPT, PD and PT of the kernel page");
        MapAt(s, Va);
        s.PageTable.TableFrameCount.ShouldBe(7, "three new tables under PML4[1]");
        ulong userFrame = s.UserFrames().Single().Frame;

        // CR3 holds the PML4's physical address; the PML4 is a kernel frame.
        s.PageTable.RootAddress.ShouldBe(s.PageTable.RootFrame * Page);
        _rig.Frames.UseOf(s.PageTable.RootFrame).ShouldBe(FrameUse.Kernel);

        ulong table = s.PageTable.RootAddress;
        var tableFrames = new HashSet<ulong> { s.PageTable.RootFrame };
        for (int level = 3; level >= 1; level--)
        {
            ulong e = Ram.ReadUInt64(table + Index(Va, level) * 8);
            (e & (P | RW | US)).ShouldBe(P | RW | US, $"level {level}: intermediate entries allow everything");
            (e & (NX | A | D | PS)).ShouldBe(0UL, $"level {level}: no NX, not yet accessed, no large page");
            (e & 0x7FF0_0000_0000_0000).ShouldBe(0UL, "bits 52..62 are reserved/unused");
            ulong next = (e >> 12) & 0xFF_FFFF_FFFF;
            _rig.Frames.UseOf(next).ShouldBe(FrameUse.Kernel);
            tableFrames.Add(next).ShouldBeTrue("every table has its own frame");
            table = next << 12;
        }

        ulong pte = Ram.ReadUInt64(table + Index(Va, 0) * 8);
        (pte & (P | RW | US | NX)).ShouldBe(P | RW | US | NX, "a read-write, non-executable user page");
        (pte & (A | D)).ShouldBe(0UL);
        ((pte >> 12) & 0xFF_FFFF_FFFF).ShouldBe(userFrame);
        _rig.Frames.UseOf(userFrame).ShouldBe(FrameUse.User);
        tableFrames.ShouldNotContain(userFrame);
        s.QueryEntry(Va).ShouldBe(pte);
        Pte.FrameOf(pte).ShouldBe(userFrame);

        // Neighbouring entries stay empty.
        Ram.ReadUInt64(table + Index(Va, 0) * 8 + 8).ShouldBe(0UL);
        Ram.ReadUInt64(s.PageTable.RootAddress).ShouldBe(0UL, "PML4[0] is unused");

        // The translation really goes to that frame.
        s.TryWriteUInt64(Va + 0x18, 0x1122_3344_5566_7788, out _).ShouldBeTrue();
        Ram.ReadUInt64(userFrame * Page + 0x18).ShouldBe(0x1122_3344_5566_7788UL);
    }

    [Fact]
    public void Every_address_space_maps_the_kernel_page_supervisor_only()
    {
        PagedAddressSpace s = _rig.NewPaged();
        ulong pml4e = Ram.ReadUInt64(s.PageTable.RootAddress + 256 * 8);
        (pml4e & P).ShouldBe(P);
        ulong pte = Entry(s, PagedAddressSpace.KernelBase, 0);
        pte.ShouldBe(P | RW | G | NX, "frame 0, present, writable, supervisor-only, global, not executable");
        Pte.FrameOf(pte).ShouldBe(0UL);
        s.UserFrames().ShouldBeEmpty("the kernel page is not a user mapping");
    }

    [Theory]
    [InlineData(Protection.Read, P | US | NX)]
    [InlineData(Protection.ReadWrite, P | RW | US | NX)]
    [InlineData(Protection.Write, P | RW | US | NX)]
    [InlineData(Protection.Read | Protection.Execute, P | US)]
    [InlineData(Protection.Read | Protection.Write | Protection.Execute, P | RW | US)]
    [InlineData(Protection.None, 1UL << 9)] // not present; software bit 9 keeps the frame
    public void Protection_is_encoded_in_the_leaf_entry(Protection prot, ulong flags)
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va, Page, prot);
        ulong pte = s.QueryEntry(Va);
        (pte & ~FrameBits).ShouldBe(flags);
        Pte.FrameOf(pte).ShouldBe(s.UserFrames().Single().Frame);
        PagedAddressSpace.FlagsFor(prot).ShouldBe(flags);

        // Protect rewrites the flags and keeps the frame.
        s.Protect(Va, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        s.QueryEntry(Va).ShouldBe((pte & FrameBits) | P | RW | US | NX);
    }

    [Fact]
    public void New_tables_are_made_only_where_needed()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        MapAt(s, Va + Page);                    // same PT
        s.PageTable.TableFrameCount.ShouldBe(7);
        MapAt(s, Va + (1UL << 21));             // next PD entry: a new PT
        s.PageTable.TableFrameCount.ShouldBe(8);
        MapAt(s, Va + (1UL << 30));             // next PDPT entry: a new PD and PT
        s.PageTable.TableFrameCount.ShouldBe(10);
        MapAt(s, Va + (1UL << 39));             // next PML4 entry: PDPT, PD and PT
        s.PageTable.TableFrameCount.ShouldBe(13);
        s.Unmap(Va, 2 * Page).ShouldBe(ErrorCode.Ok);
        s.PageTable.TableFrameCount.ShouldBe(13, "tables are kept until the space dies");
        _rig.ShouldBalance();
    }

    [Fact]
    public void Creating_a_space_without_frames_for_its_tables_fails_and_leaks_nothing()
    {
        var rig = new MemoryRig(frames: 16);
        for (int free = 0; free <= 4; free++)
        {
            var hold = new List<ulong>();
            while (rig.Frames.FreeCount > free && rig.Frames.TryAllocate(FrameUse.User, out ulong f)) hold.Add(f);
            int kernel = rig.Frames.KernelCount;
            PagedAddressSpace? s = PagedAddressSpace.TryCreate(rig.Machine, rig.Frames);
            if (free < 4)
            {
                s.ShouldBeNull($"{free} free frames cannot hold 4 tables");
                rig.Frames.FreeCount.ShouldBe(free);
                rig.Frames.KernelCount.ShouldBe(kernel);
            }
            else
            {
                s.ShouldNotBeNull();
                rig.Frames.FreeCount.ShouldBe(0);
                s.Destroy();
                rig.Frames.FreeCount.ShouldBe(4);
            }
            foreach (ulong f in hold) rig.Frames.Release(f);
            rig.Frames.CheckInvariants().ShouldBeEmpty();
        }
    }

    // ---------------------------------------------------------------- the MMU walk

    [Fact]
    public void Walk_sets_Accessed_on_every_level_and_Dirty_only_on_write()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        s.Activate();
        Mmu.Root.ShouldBe(s.PageTable.RootAddress);

        Translate(Va + 0x123, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe(s.UserFrames().Single().Frame * Page + 0x123);
        for (int level = 3; level >= 0; level--)
        {
            ulong e = Entry(s, Va, level);
            (e & A).ShouldBe(A, $"level {level} accessed");
            (e & D).ShouldBe(0UL, $"level {level} not dirty after a read");
        }

        Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        (Entry(s, Va, 0) & D).ShouldBe(D, "the leaf is dirty after a write");
        for (int level = 3; level >= 1; level--) (Entry(s, Va, level) & D).ShouldBe(0UL, "D is a leaf bit");

        // A refused write does not dirty a page.
        MapAt(s, Va + Page, Page, Protection.Read);
        ShouldTranslateFault(Va + Page, AccessKind.Write, FaultReason.ReadOnly);
        (s.QueryEntry(Va + Page) & D).ShouldBe(0UL);
    }

    [Fact]
    public void Uncached_walk_of_an_inactive_space_sets_AD_bits_too()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        Mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        (s.QueryEntry(Va) & (A | D)).ShouldBe(A);
        Mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        (s.QueryEntry(Va) & (A | D)).ShouldBe(A | D);
    }

    [Fact]
    public void MMU_enforces_present_writable_user_and_no_execute()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va, Page, Protection.Read);
        MapAt(s, Va + Page, Page, Protection.Read | Protection.Execute);
        MapAt(s, Va + 2 * Page, Page, Protection.ReadWrite);
        s.Activate();

        // P
        ShouldTranslateFault(Va + 3 * Page, AccessKind.Read, FaultReason.NotPresent);
        ShouldTranslateFault(0x1000, AccessKind.Read, FaultReason.NotPresent);
        ShouldTranslateFault(0, AccessKind.Write, FaultReason.NotPresent);
        ShouldTranslateFault(Va + (1UL << 39), AccessKind.Read, FaultReason.NotPresent); // no PDPT there at all
        // R/W
        Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        ShouldTranslateFault(Va, AccessKind.Write, FaultReason.ReadOnly);
        ShouldTranslateFault(Va + Page, AccessKind.Write, FaultReason.ReadOnly);
        Translate(Va + 2 * Page, AccessKind.Write, out _, out _).ShouldBeTrue();
        // U/S: the kernel page is mapped and present, but not for user code.
        ShouldTranslateFault(PagedAddressSpace.KernelBase, AccessKind.Read, FaultReason.Supervisor);
        ShouldTranslateFault(PagedAddressSpace.KernelBase + 8, AccessKind.Write, FaultReason.Supervisor);
        ShouldTranslateFault(PagedAddressSpace.KernelBase, AccessKind.Execute, FaultReason.Supervisor);
        ShouldTranslateFault(PagedAddressSpace.KernelBase + Page, AccessKind.Read, FaultReason.NotPresent);
        // NX
        ShouldTranslateFault(Va, AccessKind.Execute, FaultReason.NoExecute);
        ShouldTranslateFault(Va + 2 * Page, AccessKind.Execute, FaultReason.NoExecute);
        Translate(Va + Page + 0x10, AccessKind.Execute, out ulong pa, out _).ShouldBeTrue();
        (pa & 0xFFF).ShouldBe(0x10UL);

        // The same through the address space API.
        s.TryFetch(Va + Page, new byte[16], out _).ShouldBeTrue();
        s.TryFetch(Va, new byte[1], out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NoExecute);
        s.TryReadUInt64(PagedAddressSpace.KernelBase, out _, out f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(PagedAddressSpace.KernelBase, AccessKind.Read, FaultReason.Supervisor));
    }

    [Theory]
    [InlineData(0x0000_8000_0000_0000UL)]
    [InlineData(0x0000_FFFF_FFFF_F000UL)]
    [InlineData(0x1234_5678_0000_0000UL)]
    [InlineData(0xFFFF_7FFF_FFFF_F000UL)]
    [InlineData(0x8000_0000_0000_0000UL)]
    public void Non_canonical_addresses_fault_as_NonCanonical(ulong va)
    {
        Pte.IsCanonical(va).ShouldBeFalse();
        PagedAddressSpace s = _rig.NewPaged();
        s.Activate();
        foreach (AccessKind access in Enum.GetValues<AccessKind>())
            ShouldTranslateFault(va, access, FaultReason.NonCanonical);
        Mmu.TranslateUncached(s.PageTable.RootAddress, va, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NonCanonical);
        s.TryReadUInt64(va, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NonCanonical);
        Mmu.Tlb.Contains(va).ShouldBeFalse();
    }

    [Theory]
    [InlineData(0UL)]
    [InlineData(0x0000_7FFF_FFFF_F000UL)]
    [InlineData(0xFFFF_8000_0000_0000UL)]
    [InlineData(0xFFFF_FFFF_FFFF_F000UL)]
    public void Canonical_addresses_are_recognised(ulong va) => Pte.IsCanonical(va).ShouldBeTrue();

    [Fact]
    public void MMU_with_no_root_loaded_faults_everything()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        Mmu.Root.ShouldBe(ulong.MaxValue);
        ShouldTranslateFault(Va, AccessKind.Read, FaultReason.NotPresent);
        s.Activate();
        Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        Mmu.UnloadRoot();
        ShouldTranslateFault(Va, AccessKind.Read, FaultReason.NotPresent);
    }

    [Fact]
    public void MMU_treats_frames_beyond_RAM_as_not_present_and_a_misaligned_large_page_as_reserved()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        MapAt(s, Va + (1UL << 30)); // another PD, so corrupting one does not hide the other
        // SDM 4.5, table 4-18: a PDE with PS maps a 2 MiB page and bits 20:13 are reserved. This PDE points at a PT in a
        // 4 KiB-aligned frame, so with PS set its address bits are misaligned: a reserved-bit fault (RSVD), not P = 0.
        ulong pdeAddress = EntryAddress(s, Va, 1);
        ulong pde = Ram.ReadUInt64(pdeAddress);
        (pde & 0x1F_E000).ShouldNotBe(0UL, "the PT frame is not 2 MiB-aligned");
        Ram.WriteUInt64(pdeAddress, pde | PS);
        Mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReservedBit);
        Ram.WriteUInt64(pdeAddress, pde);

        ulong pteAddress = EntryAddress(s, Va + (1UL << 30), 0);
        ulong pte = Ram.ReadUInt64(pteAddress);
        Ram.WriteUInt64(pteAddress, (pte & ~FrameBits) | ((ulong)Ram.FrameCount << 12));
        Mmu.TranslateUncached(s.PageTable.RootAddress, Va + (1UL << 30), AccessKind.Read, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        Ram.WriteUInt64(pteAddress, pte);

        Mmu.TranslateUncached(s.PageTable.RootAddress, Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        Mmu.TranslateUncached(s.PageTable.RootAddress, Va + (1UL << 30), AccessKind.Read, out _, out _).ShouldBeTrue();
    }

    // ---------------------------------------------------------------- the TLB

    [Fact]
    public void TLB_caches_a_translation_after_the_first_access()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        s.Activate();
        Tlb tlb = Mmu.Tlb;
        long hits = tlb.Hits, misses = tlb.Misses;
        tlb.Contains(Va).ShouldBeFalse();

        Translate(Va, AccessKind.Read, out ulong pa1, out _).ShouldBeTrue();
        tlb.Misses.ShouldBe(misses + 1);
        tlb.Contains(Va).ShouldBeTrue();
        tlb.Contains(Va + 0xFFF).ShouldBeTrue("same page");
        tlb.Contains(Va + Page).ShouldBeFalse();

        Translate(Va + 8, AccessKind.Read, out ulong pa2, out _).ShouldBeTrue();
        tlb.Hits.ShouldBe(hits + 1);
        pa2.ShouldBe(pa1 + 8);

        // The first write must walk to set D; after that writes hit too.
        Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        tlb.Misses.ShouldBe(misses + 2);
        Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        tlb.Hits.ShouldBe(hits + 2);

        // The address space API uses the same cache.
        s.TryReadUInt64(Va, out _, out _).ShouldBeTrue();
        tlb.Hits.ShouldBe(hits + 3);
    }

    [Fact]
    public void TLB_is_a_real_cache_edited_tables_need_an_invalidation()
    {
        // The hazard the shootdown rule exists for: change a PTE behind the TLB's back and the old
        // translation is still used. Kernel code must invalidate (as Unmap and Protect do).
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        s.Activate();
        Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        s.PageTable.SetLeaf(Va, s.QueryEntry(Va) & ~RW);
        Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue("stale translation served from the TLB");
        Mmu.Tlb.Invalidate(Va);
        Mmu.Tlb.Contains(Va).ShouldBeFalse();
        ShouldTranslateFault(Va, AccessKind.Write, FaultReason.ReadOnly);
        s.Protect(Va, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
    }

    [Fact]
    public void Activating_another_space_flushes_the_TLB_and_activating_the_loaded_one_writes_no_CR3()
    {
        PagedAddressSpace a = _rig.NewPaged();
        PagedAddressSpace b = _rig.NewPaged();
        MapAt(a, Va);
        MapAt(b, Va);
        a.TryWriteUInt64(Va, 0xA, out _).ShouldBeTrue();
        b.TryWriteUInt64(Va, 0xB, out _).ShouldBeTrue();
        Tlb tlb = Mmu.Tlb;

        a.Activate();
        a.TryReadUInt64(Va, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(0xAUL);
        tlb.Contains(Va).ShouldBeTrue();
        long flushes = tlb.Flushes;

        a.Activate();
        tlb.Flushes.ShouldBe(flushes);
        tlb.Contains(Va).ShouldBeTrue();

        b.Activate();
        tlb.Flushes.ShouldBe(flushes + 1);
        tlb.Contains(Va).ShouldBeFalse();
        b.TryReadUInt64(Va, out v, out _).ShouldBeTrue();
        v.ShouldBe(0xBUL, "b's frame, not a's cached one");

        a.Activate();
        tlb.Contains(Va).ShouldBeFalse();
        a.TryReadUInt64(Va, out v, out _).ShouldBeTrue();
        v.ShouldBe(0xAUL);
    }

    [Fact]
    public void Protect_read_only_leaves_no_writable_translation_behind()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va, 2 * Page);
        s.Activate();
        // Cache write-enabled translations (D set) for both pages.
        Translate(Va, AccessKind.Write, out _, out _).ShouldBeTrue();
        s.TryWriteUInt64(Va + Page, 0x5555, out _).ShouldBeTrue();
        Mmu.Tlb.Contains(Va).ShouldBeTrue();
        Mmu.Tlb.Contains(Va + Page).ShouldBeTrue();
        long invalidations = Mmu.Tlb.Invalidations;

        s.Protect(Va, 2 * Page, Protection.Read).ShouldBe(ErrorCode.Ok);

        Mmu.Tlb.Invalidations.ShouldBe(invalidations + 2);
        ShouldTranslateFault(Va, AccessKind.Write, FaultReason.ReadOnly);
        s.TryWriteUInt64(Va + Page, 0x6666, out MemoryFault f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(Va + Page, AccessKind.Write, FaultReason.ReadOnly));
        s.TryReadUInt64(Va + Page, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(0x5555UL, "the refused write changed nothing");
    }

    [Fact]
    public void Protect_no_execute_and_protect_none_leave_no_stale_translation()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va, Page, Protection.Read | Protection.Execute);
        s.Activate();
        Translate(Va, AccessKind.Execute, out _, out _).ShouldBeTrue();
        s.Protect(Va, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        ShouldTranslateFault(Va, AccessKind.Execute, FaultReason.NoExecute);
        Translate(Va, AccessKind.Read, out _, out _).ShouldBeTrue();
        s.Protect(Va, Page, Protection.None).ShouldBe(ErrorCode.Ok);
        ShouldTranslateFault(Va, AccessKind.Read, FaultReason.NotPresent);
    }

    [Fact]
    public void Unmap_leaves_no_stale_translation_to_the_freed_frame()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va, 3 * Page);
        s.Activate();
        for (ulong i = 0; i < 3; i++) s.TryWriteUInt64(Va + i * Page, 10 + i, out _).ShouldBeTrue();
        for (ulong i = 0; i < 3; i++) Mmu.Tlb.Contains(Va + i * Page).ShouldBeTrue();
        ulong middleFrame = Pte.FrameOf(s.QueryEntry(Va + Page));

        s.Unmap(Va + Page, Page).ShouldBe(ErrorCode.Ok);

        _rig.Frames.UseOf(middleFrame).ShouldBe(FrameUse.Free);
        Mmu.Tlb.Contains(Va + Page).ShouldBeFalse();
        ShouldTranslateFault(Va + Page, AccessKind.Read, FaultReason.NotPresent);
        ShouldTranslateFault(Va + Page + 8, AccessKind.Write, FaultReason.NotPresent);
        s.TryReadUInt64(Va + Page, out _, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        // Its neighbours keep working from the cache.
        Mmu.Tlb.Contains(Va).ShouldBeTrue();
        s.TryReadUInt64(Va + 2 * Page, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(12UL);

        // The freed frame goes to someone else; the old address must not reach it.
        PagedAddressSpace other = _rig.NewPaged();
        other.Map(0, Page, Protection.ReadWrite, "thief", out ulong o).ShouldBe(ErrorCode.Ok);
        other.TryWriteUInt64(o, 0xBAD, out _).ShouldBeTrue();
        ShouldTranslateFault(Va + Page, AccessKind.Read, FaultReason.NotPresent);
    }

    [Fact]
    public void Unmap_and_Protect_through_the_address_space_API_with_the_space_active()
    {
        PagedAddressSpace s = _rig.NewPaged();
        s.Activate();
        s.Map(0, 4 * Page, Protection.ReadWrite, "heap", out ulong a).ShouldBe(ErrorCode.Ok);
        for (ulong i = 0; i < 4; i++) s.TryWriteUInt64(a + i * Page, i + 1, out _).ShouldBeTrue();
        for (ulong i = 0; i < 4; i++) s.TryReadUInt64(a + i * Page, out _, out _).ShouldBeTrue();

        s.Protect(a, 2 * Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        s.Unmap(a + 2 * Page, Page).ShouldBe(ErrorCode.Ok);
        s.Protect(a + 3 * Page, Page, Protection.None).ShouldBe(ErrorCode.Ok);

        s.TryWriteUInt64(a, 9, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        s.TryWriteUInt64(a + Page, 9, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        s.TryReadUInt64(a + 2 * Page, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        s.TryReadUInt64(a + 3 * Page, out _, out f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.NotPresent);
        s.TryReadUInt64(a + Page, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(2UL);

        // A write that spans a writable and a now read-only page writes nothing.
        s.Protect(a + Page, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        s.TryWrite(a + Page - 4, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, out f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(a + Page - 4, AccessKind.Write, FaultReason.ReadOnly));
        s.TryWrite(a + 2 * Page - 4, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 }, out f).ShouldBeFalse();
        f.ShouldBe(new MemoryFault(a + 2 * Page, AccessKind.Write, FaultReason.NotPresent));
        s.TryReadUInt64(a + 2 * Page - 8, out v, out _).ShouldBeTrue();
        v.ShouldBe(0UL);
    }

    [Fact]
    public void Unmap_in_an_inactive_space_is_seen_when_it_is_activated_again()
    {
        PagedAddressSpace a = _rig.NewPaged();
        PagedAddressSpace b = _rig.NewPaged();
        MapAt(a, Va);
        a.Activate();
        a.TryWriteUInt64(Va, 1, out _).ShouldBeTrue();
        b.Activate();
        a.Unmap(Va, Page).ShouldBe(ErrorCode.Ok);
        a.Activate();
        ShouldTranslateFault(Va, AccessKind.Read, FaultReason.NotPresent);
    }

    [Fact]
    public void Inactive_spaces_are_walked_without_touching_the_TLB()
    {
        PagedAddressSpace a = _rig.NewPaged();
        PagedAddressSpace b = _rig.NewPaged();
        MapAt(a, Va);
        MapAt(b, Va);
        MapAt(b, Va + Page);
        a.Activate();
        a.TryWriteUInt64(Va, 0xAAAA, out _).ShouldBeTrue();
        Tlb tlb = Mmu.Tlb;
        long hits = tlb.Hits, misses = tlb.Misses;

        b.TryWriteUInt64(Va, 0xBBBB, out _).ShouldBeTrue();
        b.TryReadUInt64(Va, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(0xBBBBUL, "b's own frame, not the translation a has cached for the same address");
        b.TryReadUInt64(Va + Page, out _, out _).ShouldBeTrue();

        tlb.Hits.ShouldBe(hits);
        tlb.Misses.ShouldBe(misses);
        tlb.Contains(Va + Page).ShouldBeFalse();
        Mmu.Root.ShouldBe(a.PageTable.RootAddress);
        a.TryReadUInt64(Va, out v, out _).ShouldBeTrue();
        v.ShouldBe(0xAAAAUL);
        tlb.Hits.ShouldBe(hits + 1);

        ulong rootB = b.PageTable.RootAddress;
        Mmu.TranslateUncached(rootB, Va, AccessKind.Read, out ulong pa, out _).ShouldBeTrue();
        pa.ShouldBe(b.UserFrames().First().Frame * Page);
    }

    [Fact]
    public void A_small_TLB_evicts_conflicting_pages_but_never_mixes_them_up()
    {
        var rig = new MemoryRig(frames: 64, tlbSize: 4);
        var s = (PagedAddressSpace)rig.NewSpace();
        s.Map(0x4000_0000, 16 * Page, Protection.ReadWrite, "t", out _).ShouldBe(ErrorCode.Ok);
        s.Activate();
        for (ulong i = 0; i < 16; i++) s.TryWriteUInt64(0x4000_0000 + i * Page, 1000 + i, out _).ShouldBeTrue();
        for (int round = 0; round < 3; round++)
            for (ulong i = 0; i < 16; i += 4) // pages 0, 4, 8, 12 share a slot
            {
                s.TryReadUInt64(0x4000_0000 + i * Page, out ulong v, out _).ShouldBeTrue();
                v.ShouldBe(1000 + i);
                rig.Machine.Mmu.Tlb.Contains(0x4000_0000 + i * Page).ShouldBeTrue();
                rig.Machine.Mmu.Tlb.Contains(0x4000_0000 + ((i + 4) % 16) * Page).ShouldBeFalse();
            }
        rig.DestroyAllAndCheck();
    }

    [Fact]
    public void Destroying_the_active_space_unloads_CR3()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        s.Activate();
        s.TryReadUInt64(Va, out _, out _).ShouldBeTrue();
        s.Destroy();
        Mmu.Root.ShouldBe(ulong.MaxValue);
        Mmu.Tlb.Contains(Va).ShouldBeFalse();
        ShouldTranslateFault(Va, AccessKind.Read, FaultReason.NotPresent);
        s.Activate(); // a dying thread's switch must not load the freed table
        Mmu.Root.ShouldBe(ulong.MaxValue);
    }

    [Fact]
    public void A_destroyed_space_never_translates_even_when_its_root_frame_is_reused()
    {
        PagedAddressSpace dead = _rig.NewPaged();
        MapAt(dead, Va);
        ulong oldRoot = dead.PageTable.RootAddress;
        dead.Destroy();

        // A new space takes the freed frames (lowest free first), its PML4 included, and becomes active.
        PagedAddressSpace heir = _rig.NewPaged();
        heir.PageTable.RootAddress.ShouldBe(oldRoot);
        MapAt(heir, Va);
        heir.Activate();
        heir.TryWriteUInt64(Va, 0x5EC2E7, out _).ShouldBeTrue();

        dead.TryReadUInt64(Va, out ulong v, out MemoryFault f).ShouldBeFalse($"read 0x{v:x} through a destroyed space");
        f.Reason.ShouldBe(FaultReason.NotPresent);
        dead.TryWriteUInt64(Va, 1, out _).ShouldBeFalse();
        dead.CheckRange(Va, 8, AccessKind.Read, out _).ShouldBeFalse();
        heir.TryReadUInt64(Va, out v, out _).ShouldBeTrue();
        v.ShouldBe(0x5EC2E7UL);
    }

    [Fact]
    public void MapFrames_on_a_destroyed_space_is_refused_and_touches_no_memory()
    {
        PagedAddressSpace dead = _rig.NewPaged();
        dead.Destroy();
        PagedAddressSpace heir = _rig.NewPaged(); // now owns the frames the dead table used
        heir.PageTable.RootAddress.ShouldBe(dead.PageTable.RootAddress);
        string heirTables = heir.PageTable.Dump();
        _rig.Frames.TryAllocate(FrameUse.User, out ulong frame).ShouldBeTrue();
        int kernel = _rig.Frames.KernelCount;

        dead.MapFrames(Va, [frame], Protection.ReadWrite, 0, "late").ShouldBe(ErrorCode.BadAddress);

        _rig.Frames.KernelCount.ShouldBe(kernel, "no table frame was taken for a dead table");
        heir.PageTable.Dump().ShouldBe(heirTables, "the heir's PML4 was not written through the dead space");
        dead.Areas.ShouldBeEmpty();
        _rig.Frames.Release(frame);
    }

    // ---------------------------------------------------------------- physical memory

    [Theory]
    [InlineData(15)]
    [InlineData(1 << 19)]
    [InlineData(1 << 20)]
    [InlineData(int.MaxValue)]
    public void Physical_memory_rejects_sizes_it_cannot_hold(int frames) =>
        Should.Throw<ArgumentOutOfRangeException>(() => new PhysicalMemory(frames));

    [Fact]
    public void Physical_memory_is_little_endian_and_counts_writes_per_frame()
    {
        var ram = new PhysicalMemory(16);
        ram.Size.ShouldBe(16UL * Page);
        ram.WriteUInt64(2 * Page + 8, 0x0102_0304_0506_0708);
        ram.Frame(2)[8].ShouldBe((byte)0x08);
        ram.Frame(2)[15].ShouldBe((byte)0x01);
        ram.ReadUInt64(2 * Page + 8).ShouldBe(0x0102_0304_0506_0708UL);
        uint g2 = ram.WriteGeneration(2), g3 = ram.WriteGeneration(3);
        ram.Slice(3 * Page - 2, 4, forWrite: true).Fill(0xFF); // spans frames 2 and 3
        ram.WriteGeneration(2).ShouldNotBe(g2);
        ram.WriteGeneration(3).ShouldNotBe(g3);
        uint g4 = ram.WriteGeneration(4);
        ram.Slice(4 * Page, 8, forWrite: false);
        ram.WriteGeneration(4).ShouldBe(g4);
        ram.CopyFrame(2, 5);
        ram.Frame(5)[8].ShouldBe((byte)0x08);
        ram.ZeroFrame(5);
        ram.Frame(5).ToArray().ShouldAllBe(b => b == 0);
    }

    // ---------------------------------------------------------------- PROT_NONE

    [Fact]
    public void Prot_none_pages_fault_but_keep_their_frame()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        s.Activate();
        s.TryWriteUInt64(Va + 8, 0xC0FFEE, out _).ShouldBeTrue();
        ulong frame = s.UserFrames().Single().Frame;

        s.Protect(Va, Page, Protection.None).ShouldBe(ErrorCode.Ok);
        ulong pte = s.QueryEntry(Va);
        (pte & P).ShouldBe(0UL);
        (pte & Pte.SoftKept).ShouldBe(Pte.SoftKept);
        Pte.FrameOf(pte).ShouldBe(frame);
        _rig.Frames.UseOf(frame).ShouldBe(FrameUse.User);
        _rig.Frames.RefCount(frame).ShouldBe(1);
        ShouldTranslateFault(Va + 8, AccessKind.Read, FaultReason.NotPresent);
        ShouldTranslateFault(Va + 8, AccessKind.Write, FaultReason.NotPresent);
        _rig.ShouldBalance();

        s.Protect(Va, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        s.TryReadUInt64(Va + 8, out ulong v, out _).ShouldBeTrue();
        v.ShouldBe(0xC0FFEEUL);
        Pte.FrameOf(s.QueryEntry(Va)).ShouldBe(frame);
    }

    // ---------------------------------------------------------------- dumps

    [Fact]
    public void Dump_shows_every_level_with_index_raw_value_flags_and_frame()
    {
        PagedAddressSpace s = _rig.NewPaged();
        MapAt(s, Va);
        MapAt(s, Va + Page, Page, Protection.Read | Protection.Execute);
        s.Activate();
        s.TryWriteUInt64(Va, 1, out _).ShouldBeTrue();

        string dump = s.PageTable.Dump();
        dump.ShouldBe(s.DumpHardware());
        string[] lines = dump.ReplaceLineEndings("\n").TrimEnd('\n').Split('\n');

        ulong pml4e = Entry(s, Va, 3), pdpte = Entry(s, Va, 2), pde = Entry(s, Va, 1), pte = Entry(s, Va, 0), pte2 = Entry(s, Va + Page, 0);
        lines[0].ShouldBe($"CR3 = 0x{s.PageTable.RootAddress:x} (PML4 in frame {s.PageTable.RootFrame})");
        ShouldHaveLine(lines, $@"^PML4\[  1\] 0x{pml4e:x16} P RW US A\s+va 0x008000000000 -> PDPT in frame {Pte.FrameOf(pml4e)}$");
        ShouldHaveLine(lines, $@"^  PDPT\[  2\] 0x{pdpte:x16} P RW US A\s+va 0x008080000000 -> PD in frame {Pte.FrameOf(pdpte)}$");
        ShouldHaveLine(lines, $@"^    PD\[  3\] 0x{pde:x16} P RW US A\s+va 0x008080600000 -> PT in frame {Pte.FrameOf(pde)}$");
        ShouldHaveLine(lines, $@"^      PT\[  4\] 0x{pte:x16} P RW US A D NX\s+va 0x008080604000 frame {Pte.FrameOf(pte)}$");
        ShouldHaveLine(lines, $@"^      PT\[  5\] 0x{pte2:x16} P RO US\s+va 0x008080605000 frame {Pte.FrameOf(pte2)}$");
        // The kernel's page, in the upper half.
        ShouldHaveLine(lines, @"^PML4\[256\] 0x[0-9a-f]{16} P RW US A\s+va 0xffff800000000000 -> PDPT in frame \d+$");
        ShouldHaveLine(lines, @"^      PT\[  0\] 0x8000000000000123 P RW S A G NX\s+va 0xffff800000000000 frame 0$");
        lines.Length.ShouldBe(1 + 2 * 3 + 3, "CR3, three tables per path, three leaves");

        s.Protect(Va + Page, Page, Protection.None).ShouldBe(ErrorCode.Ok);
        s.PageTable.Dump().ShouldContain(" kept");
    }

    private static void ShouldHaveLine(string[] lines, string pattern) =>
        lines.Count(l => Regex.IsMatch(l, pattern)).ShouldBe(1, $"one line should match {pattern}\n{string.Join('\n', lines)}");

    [Fact]
    public void Pte_helpers_describe_the_flags()
    {
        Pte.Make(0x1234, P | RW).ShouldBe(0x1234_003UL);
        Pte.FrameOf(0x8000_0000_1234_5067UL).ShouldBe(0x12345UL);
        Pte.Make(1UL << 45, P).ShouldBe(P, "frame numbers beyond bit 51 are masked off");
        Pte.Describe(P | RW | US | A | D | NX).ShouldBe("P RW US A D NX");
        Pte.Describe(0).ShouldBe("RO S");
        Pte.Describe(Pte.SoftKept | Pte.SoftCopyOnWrite | Pte.SoftShared).ShouldBe("RO S kept cow shared");
    }

    [Fact]
    public void DumpMaps_lists_areas_like_proc_maps()
    {
        PagedAddressSpace s = _rig.NewPaged();
        s.Map(0, 2 * Page, Protection.ReadWrite, "heap", out ulong heap).ShouldBe(ErrorCode.Ok);
        s.Map(0x40_0000, Page, Protection.Read | Protection.Execute, "code", out _).ShouldBe(ErrorCode.Ok);
        s.Map(0, Page, Protection.None, "guard", out ulong guard).ShouldBe(ErrorCode.Ok);
        s.DumpMaps().ReplaceLineEndings("\n").ShouldBe(
            "000000400000-000000401000 r-xp code\n" +
            $"{heap:x12}-{heap + 2 * Page:x12} rw-p heap\n" +
            $"{guard:x12}-{guard + Page:x12} ---p guard\n");
        heap.ShouldBe(0x1000_0000UL);
        guard.ShouldBe(0x1000_2000UL);
    }
}
