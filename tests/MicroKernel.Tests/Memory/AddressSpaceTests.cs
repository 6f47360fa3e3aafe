using MicroKernel.Faults;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// A machine, its frame allocator and the address spaces a test made, with the kernel's accounting checks
/// (the same rules as <see cref="Kernel.CheckInvariants"/>, for spaces that belong to no process).
/// </summary>
internal sealed class MemoryRig
{
    private readonly List<AddressSpace> _spaces = [];

    public MemoryRig(ProtectionModel model = ProtectionModel.Paging, int frames = 256, int mpuRegions = 8, int tlbSize = 64)
    {
        Model = model;
        Machine = new Machine(frames, model, mpuRegions, tlbSize);
        Frames = new FrameAllocator(Machine.Memory, reservedFrames: 1);
    }

    public ProtectionModel Model { get; }

    public Machine Machine { get; }

    public FrameAllocator Frames { get; }

    public PhysicalMemory Memory => Machine.Memory;

    public AddressSpace NewSpace(int reservedRegions = 0)
    {
        AddressSpace space = Model == ProtectionModel.Paging
            ? PagedAddressSpace.TryCreate(Machine, Frames) ?? throw new InvalidOperationException("no frames for a page table")
            : new MpuAddressSpace(Machine, Frames, reservedRegions);
        _spaces.Add(space);
        return space;
    }

    public PagedAddressSpace NewPaged()
    {
        Model.ShouldBe(ProtectionModel.Paging);
        return (PagedAddressSpace)NewSpace();
    }

    /// <summary>Kernel frames the live page tables should hold (frame 0 is the kernel's own page).</summary>
    public int ExpectedKernelFrames => 1 + _spaces.OfType<PagedAddressSpace>().Where(s => !s.IsDestroyed).Sum(s => s.PageTable.TableFrameCount);

    public List<string> Problems()
    {
        var problems = new List<string>(Frames.CheckInvariants());
        var mappings = new Dictionary<ulong, int>();
        foreach (AddressSpace s in _spaces)
            foreach ((ulong va, ulong frame) in s.UserFrames())
            {
                if (Frames.UseOf(frame) != FrameUse.User) problems.Add($"0x{va:x} maps frame {frame}, which is {Frames.UseOf(frame)}");
                mappings[frame] = mappings.GetValueOrDefault(frame) + 1;
            }
        foreach ((ulong frame, int count) in mappings)
            if (Frames.RefCount(frame) != count) problems.Add($"frame {frame} has {Frames.RefCount(frame)} references but {count} mappings");
        for (ulong f = 0; f < (ulong)Frames.TotalCount; f++)
            if (Frames.UseOf(f) == FrameUse.User && !mappings.ContainsKey(f)) problems.Add($"user frame {f} is mapped by nothing (leaked)");
        if (Frames.KernelCount != ExpectedKernelFrames)
            problems.Add($"{Frames.KernelCount} kernel frames, but the page tables account for {ExpectedKernelFrames}");
        return problems;
    }

    public void ShouldBalance() => Problems().ShouldBeEmpty();

    /// <summary>Destroys every space and checks that every frame came back.</summary>
    public void DestroyAllAndCheck()
    {
        ShouldBalance();
        foreach (AddressSpace s in _spaces) s.Destroy();
        ShouldBalance();
        Frames.UserCount.ShouldBe(0);
        Frames.KernelCount.ShouldBe(1);
        Frames.FreeCount.ShouldBe(Frames.TotalCount - 1);
    }

    /// <summary>Reads 8 bytes through <paramref name="s"/>, which must not fault.</summary>
    public static ulong Read(MemoryView s, ulong va)
    {
        s.TryReadUInt64(va, out ulong v, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return v;
    }

    /// <summary>Writes 8 bytes through <paramref name="s"/>, which must not fault.</summary>
    public static void Write(MemoryView s, ulong va, ulong value) =>
        s.TryWriteUInt64(va, value, out MemoryFault f).ShouldBeTrue($"write at 0x{va:x}: {f}");
}

public sealed class AddressSpaceTests : IDisposable
{
    private const ulong Page = AddressSpace.PageSize;
    private MemoryRig? _rig;

    public static TheoryData<ProtectionModel> AllModels => new() { ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    public static TheoryData<ProtectionModel> MpuModels => new() { ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu };

    private MemoryRig Rig(ProtectionModel model = ProtectionModel.Paging, int frames = 256, int mpuRegions = 8) =>
        _rig = new MemoryRig(model, frames, mpuRegions);

    // After every test: the books balance, and destroying the spaces returns every frame.
    public void Dispose() => _rig?.DestroyAllAndCheck();

    private static ulong MapOk(AddressSpace s, ulong length, Protection prot = Protection.ReadWrite, ulong address = 0, string name = "anon")
    {
        s.Map(address, length, prot, name, out ulong mapped).ShouldBe(ErrorCode.Ok);
        mapped.ShouldNotBe(0UL);
        (mapped % Page).ShouldBe(0UL);
        return mapped;
    }

    private static void ShouldFault(AddressSpace s, ulong va, AccessKind access, FaultReason reason, ulong? at = null)
    {
        bool ok = access switch
        {
            AccessKind.Read => s.TryReadUInt64(va, out _, out MemoryFault f1) || Check(f1),
            AccessKind.Write => s.TryWriteUInt64(va, 0xDEAD, out MemoryFault f2) || Check(f2),
            _ => s.TryFetch(va, new byte[1], out MemoryFault f3) || Check(f3),
        };
        ok.ShouldBeFalse($"{access} at 0x{va:x} should fault with {reason}");

        bool Check(MemoryFault f)
        {
            f.Reason.ShouldBe(reason);
            f.Access.ShouldBe(access);
            f.Address.ShouldBe(at ?? va);
            return false;
        }
    }

    private static ulong Read(AddressSpace s, ulong va)
    {
        s.TryReadUInt64(va, out ulong v, out MemoryFault f).ShouldBeTrue($"read at 0x{va:x}: {f}");
        return v;
    }

    private static void Write(AddressSpace s, ulong va, ulong value) =>
        s.TryWriteUInt64(va, value, out MemoryFault f).ShouldBeTrue($"write at 0x{va:x}: {f}");

    // An address the space could hold a fixed map at (under an MPU: a free physical block).
    private static ulong FreeUserAddress(AddressSpace s) => s is PagedAddressSpace ? 0x4000_0000UL : 0x2_0000UL;

    // ---------------------------------------------------------------- map errors

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_rejects_bad_arguments_and_changes_nothing(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        int free = rig.Frames.FreeCount;
        ulong addr = FreeUserAddress(s);

        void Rejected(ulong address, ulong length, Protection prot, ErrorCode expected)
        {
            s.Map(address, length, prot, "bad", out ulong mapped).ShouldBe(expected, $"map(0x{address:x}, 0x{length:x}, {(int)prot})");
            mapped.ShouldBe(0UL);
            s.Areas.ShouldBeEmpty();
            rig.Frames.FreeCount.ShouldBe(free);
        }

        Rejected(0, 0, Protection.ReadWrite, ErrorCode.InvalidArgument);
        Rejected(addr, 0, Protection.ReadWrite, ErrorCode.InvalidArgument);
        Rejected(0, Page, (Protection)8, ErrorCode.InvalidArgument);
        Rejected(0, Page, (Protection)0xFF, ErrorCode.InvalidArgument);
        Rejected(addr, Page, (Protection)0x11, ErrorCode.InvalidArgument);
        Rejected(addr + 1, Page, Protection.ReadWrite, ErrorCode.Misaligned);
        Rejected(addr + 0x800, Page, Protection.ReadWrite, ErrorCode.Misaligned);
        Rejected(0xFFFF_FFFF_FFFF_F000, 0x2000, Protection.ReadWrite, ErrorCode.BadAddress); // wraps past 2^64
        Rejected(0xFFFF_FFFF_FFFF_F000, Page, Protection.ReadWrite, ErrorCode.BadAddress);
        Rejected(0xFFFF_8000_0000_0000, Page, Protection.ReadWrite, ErrorCode.BadAddress); // the kernel half
        Rejected(s.UserHigh, Page, Protection.ReadWrite, ErrorCode.BadAddress);
        Rejected(s.UserHigh - Page, 2 * Page, Protection.ReadWrite, ErrorCode.BadAddress);
        Rejected(0, s.UserHigh + 1, Protection.ReadWrite, ErrorCode.OutOfMemory);
        Rejected(addr, s.UserHigh, Protection.ReadWrite, ErrorCode.BadAddress); // a length that fits, from a place it runs past the end
        Rejected(0, ulong.MaxValue, Protection.ReadWrite, ErrorCode.OutOfMemory);
        if (model == ProtectionModel.Paging)
        {
            Rejected(0x1000, Page, Protection.ReadWrite, ErrorCode.BadAddress); // below UserLow: the null guard
            Rejected(PagedAddressSpace.UserBase - Page, 2 * Page, Protection.ReadWrite, ErrorCode.BadAddress);
            Rejected(0x0000_8000_0000_0000, Page, Protection.ReadWrite, ErrorCode.BadAddress); // non-canonical
        }
        else
        {
            // No translation: a fixed address is a physical block, which must be free and (ARMv7-M) size-aligned.
            if (model == ProtectionModel.ArmV7Mpu) Rejected(0x1000, 2 * Page, Protection.ReadWrite, ErrorCode.Misaligned);
            AddressSpace other = rig.NewSpace();
            ulong taken = MapOk(other, Page);
            int freeNow = rig.Frames.FreeCount;
            s.Map(taken, Page, Protection.ReadWrite, "bad", out ulong mapped).ShouldBe(ErrorCode.OutOfMemory);
            mapped.ShouldBe(0UL);
            s.Areas.ShouldBeEmpty();
            rig.Frames.FreeCount.ShouldBe(freeNow);
            other.Destroy();
        }
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_over_an_existing_area_is_AlreadyMapped(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, 2 * Page, address: model == ProtectionModel.Paging ? 0x4000_0000UL : 0UL);
        Write(s, a, 0x1111);
        int free = rig.Frames.FreeCount;
        string maps = s.DumpMaps();

        foreach ((ulong address, ulong length) in new[] { (a, Page), (a + Page, Page), (a - Page, 2 * Page), (a + Page, 4 * Page), (a - Page, 8 * Page) })
        {
            if (address < s.UserLow) continue;
            s.Map(address, length, Protection.Read, "over", out ulong mapped).ShouldBe(ErrorCode.AlreadyMapped, $"map at 0x{address:x}");
            mapped.ShouldBe(0UL);
        }
        s.DumpMaps().ShouldBe(maps);
        rig.Frames.FreeCount.ShouldBe(free);
        Read(s, a).ShouldBe(0x1111UL);
        rig.ShouldBalance();
    }

    [Fact]
    public void Paging_map_at_a_fixed_address_and_kernel_chosen_addresses_do_not_collide()
    {
        var rig = Rig();
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, Page);
        a.ShouldBe(PagedAddressSpace.MapBase);
        ulong fixedAt = MapOk(s, Page, address: PagedAddressSpace.MapBase + Page);
        fixedAt.ShouldBe(PagedAddressSpace.MapBase + Page);
        ulong b = MapOk(s, 2 * Page);
        b.ShouldBe(PagedAddressSpace.MapBase + 2 * Page);
        MapOk(s, Page, address: PagedAddressSpace.UserBase).ShouldBe(PagedAddressSpace.UserBase);
        MapOk(s, Page, address: PagedAddressSpace.UserTop - Page).ShouldBe(PagedAddressSpace.UserTop - Page);
        s.Areas.Count.ShouldBe(5);
        rig.Frames.UserCount.ShouldBe(6);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_gives_zeroed_memory_rounded_up_to_pages(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        // Dirty every free frame first: a fresh mapping must never show a previous owner's data.
        for (ulong f = 1; f < (ulong)rig.Memory.FrameCount; f++) rig.Memory.Frame(f).Fill(0xEE);

        ulong a = MapOk(s, 100);
        s.Areas.Count.ShouldBe(1);
        s.Areas[0].Start.ShouldBe(a);
        s.Areas[0].Length.ShouldBe(Page);
        s.Areas[0].Name.ShouldBe("anon");
        var bytes = new byte[Page];
        s.TryRead(a, bytes, out _).ShouldBeTrue();
        bytes.ShouldAllBe(b => b == 0);
        rig.Frames.UserCount.ShouldBe(1);
        rig.ShouldBalance();
    }

    // ---------------------------------------------------------------- unmap / protect errors

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Unmap_and_Protect_reject_bad_ranges_and_change_nothing(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, 2 * Page);
        Write(s, a, 0xABCD);
        int free = rig.Frames.FreeCount;
        string maps = s.DumpMaps();

        void Rejected(ulong address, ulong length, ErrorCode expected)
        {
            s.Unmap(address, length).ShouldBe(expected, $"unmap(0x{address:x}, 0x{length:x})");
            s.Protect(address, length, Protection.Read).ShouldBe(expected, $"protect(0x{address:x}, 0x{length:x})");
        }

        Rejected(a, 0, ErrorCode.InvalidArgument);
        Rejected(a + 8, Page, ErrorCode.Misaligned);
        Rejected(0xFFFF_FFFF_FFFF_F000, 0x2000, ErrorCode.BadAddress);
        Rejected(a, ulong.MaxValue, ErrorCode.BadAddress);
        Rejected(a, 0xFFFF_FFFF_FFFF_F000, ErrorCode.BadAddress);
        Rejected(0xFFFF_8000_0000_0000, Page, ErrorCode.BadAddress);
        Rejected(s.UserHigh, Page, ErrorCode.BadAddress);
        Rejected(a, 3 * Page, ErrorCode.NotMapped);             // runs one page past the area
        if (a - Page >= s.UserLow)
            Rejected(a - Page, 2 * Page, ErrorCode.NotMapped);  // starts one page before it
        Rejected(a + 4 * Page, Page, ErrorCode.NotMapped);      // nothing there at all
        if (model == ProtectionModel.Paging)
            Rejected(0x1000, Page, ErrorCode.BadAddress);       // below UserLow

        // Reserved protection bits are refused before anything else is looked at.
        s.Protect(a, Page, (Protection)8).ShouldBe(ErrorCode.InvalidArgument);
        s.Protect(a, Page, (Protection)0x80).ShouldBe(ErrorCode.InvalidArgument);
        s.Protect(0xFFFF_8000_0000_0000, Page, (Protection)8).ShouldBe(ErrorCode.InvalidArgument);

        s.DumpMaps().ShouldBe(maps);
        rig.Frames.FreeCount.ShouldBe(free);
        Read(s, a).ShouldBe(0xABCDUL);
        Write(s, a + Page, 1);
        rig.ShouldBalance();
    }

    [Fact]
    public void Paging_unmap_across_a_hole_is_NotMapped_and_unmaps_nothing()
    {
        var rig = Rig();
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, Page, address: 0x4000_0000);
        ulong b = MapOk(s, Page, address: 0x4000_2000);
        s.Unmap(a, 3 * Page).ShouldBe(ErrorCode.NotMapped);
        s.Protect(a, 3 * Page, Protection.Read).ShouldBe(ErrorCode.NotMapped);
        s.Areas.Count.ShouldBe(2);
        s.Areas.ShouldAllBe(v => v.Protection == Protection.ReadWrite);
        Write(s, a, 1);
        Write(s, b, 2);
        s.Unmap(a, Page).ShouldBe(ErrorCode.Ok);
        s.Unmap(b, Page).ShouldBe(ErrorCode.Ok);
        rig.Frames.UserCount.ShouldBe(0);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Unmap_frees_the_frames_and_later_accesses_fault(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, 2 * Page);
        Write(s, a, 5);
        Write(s, a + Page, 6);
        int user = rig.Frames.UserCount;
        s.Unmap(a, 2 * Page).ShouldBe(ErrorCode.Ok);
        s.Areas.ShouldBeEmpty();
        rig.Frames.UserCount.ShouldBe(0);
        user.ShouldBeGreaterThan(0);
        FaultReason reason = model == ProtectionModel.Paging ? FaultReason.NotPresent : FaultReason.NoRegion;
        ShouldFault(s, a, AccessKind.Read, reason);
        ShouldFault(s, a + Page, AccessKind.Write, reason);
        s.Unmap(a, Page).ShouldBe(ErrorCode.NotMapped);
        rig.ShouldBalance();
    }

    // ---------------------------------------------------------------- out of memory

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Map_larger_than_free_memory_is_OutOfMemory_and_takes_nothing(ProtectionModel model)
    {
        var rig = Rig(model, frames: 64);
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, 4 * Page);
        int free = rig.Frames.FreeCount;
        int kernel = rig.Frames.KernelCount;

        s.Map(0, (ulong)(free + 1) * Page, Protection.ReadWrite, "big", out ulong mapped).ShouldBe(ErrorCode.OutOfMemory);
        mapped.ShouldBe(0UL);
        rig.Frames.FreeCount.ShouldBe(free);
        rig.Frames.KernelCount.ShouldBe(kernel);
        s.Areas.Count.ShouldBe(1);
        Read(s, a).ShouldBe(0UL);
        rig.ShouldBalance();
    }

    [Theory]
    [InlineData(1)] // first user frame
    [InlineData(2)] // second user frame: the first must be given back
    [InlineData(3)] // third user frame
    [InlineData(4)] // the PDPT for the new range
    [InlineData(5)] // the PD
    [InlineData(6)] // the PT
    public void Paging_map_failing_at_any_allocation_is_OutOfMemory_with_no_frame_leaked(int failAt)
    {
        var rig = Rig();
        PagedAddressSpace s = rig.NewPaged();
        ulong keep = MapOk(s, Page, address: 0x4000_0000);
        Write(s, keep, 77);
        int user = rig.Frames.UserCount;
        int tablesBefore = s.PageTable.TableFrameCount;
        int freeBefore = rig.Frames.FreeCount;

        // 0x7000_0000_0000 lies under a PML4 entry nothing uses yet: the map needs 3 user frames and 3 tables.
        const ulong Fresh = 0x7000_0000_0000;
        rig.Frames.Injector = new FaultInjector(new FaultPlan([new FramesFaultRule(failAt)]), 1, null);
        s.Map(Fresh, 3 * Page, Protection.ReadWrite, "doomed", out ulong mapped).ShouldBe(ErrorCode.OutOfMemory);
        rig.Frames.Injector = null;

        mapped.ShouldBe(0UL);
        s.Areas.Count.ShouldBe(1);
        rig.Frames.UserCount.ShouldBe(user);
        for (ulong i = 0; i < 3; i++)
        {
            (s.QueryEntry(Fresh + i * Page) & Hardware.Paging.Pte.Present).ShouldBe(0UL);
            ShouldFault(s, Fresh + i * Page, AccessKind.Read, FaultReason.NotPresent);
        }
        // Tables made before the failure stay with the page table (freed when it dies); nothing else is gone.
        int newTables = s.PageTable.TableFrameCount - tablesBefore;
        newTables.ShouldBe(Math.Max(0, failAt - 4));
        rig.Frames.FreeCount.ShouldBe(freeBefore - newTables);
        Read(s, keep).ShouldBe(77UL);
        rig.ShouldBalance();

        // The same map succeeds once memory is there.
        MapOk(s, 3 * Page, address: Fresh).ShouldBe(Fresh);
        Write(s, Fresh + 2 * Page, 9);
        s.PageTable.TableFrameCount.ShouldBe(tablesBefore + 3);
        rig.ShouldBalance();
    }

    [Fact]
    public void Paging_map_of_exactly_the_free_frames_fails_when_tables_are_needed_and_leaks_nothing()
    {
        var rig = Rig(frames: 32);
        PagedAddressSpace s = rig.NewPaged();
        int free = rig.Frames.FreeCount;
        int kernel = rig.Frames.KernelCount;

        s.Map(0, (ulong)free * Page, Protection.ReadWrite, "all", out _).ShouldBe(ErrorCode.OutOfMemory);

        rig.Frames.FreeCount.ShouldBe(free);
        rig.Frames.KernelCount.ShouldBe(kernel);
        rig.Frames.UserCount.ShouldBe(0);
        s.Areas.ShouldBeEmpty();
        rig.ShouldBalance();

        // Leave room for the three tables and it fits.
        ulong a = MapOk(s, (ulong)(free - 3) * Page);
        rig.Frames.FreeCount.ShouldBe(0);
        Write(s, a + (ulong)(free - 4) * Page, 3);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Mpu_map_without_a_contiguous_block_is_OutOfMemory_and_takes_nothing(ProtectionModel model)
    {
        var rig = Rig(model, frames: 32);
        AddressSpace s = rig.NewSpace();
        // Fragment memory: take every frame, give back every other one.
        var taken = new List<ulong>();
        while (rig.Frames.TryAllocate(FrameUse.Kernel, out ulong f)) taken.Add(f);
        foreach (ulong f in taken.Where(f => f % 2 == 0)) rig.Frames.Release(f);
        int free = rig.Frames.FreeCount;

        s.Map(0, 2 * Page, Protection.ReadWrite, "two", out ulong mapped).ShouldBe(ErrorCode.OutOfMemory);
        mapped.ShouldBe(0UL);
        rig.Frames.FreeCount.ShouldBe(free);
        s.Areas.ShouldBeEmpty();

        rig.Frames.Injector = new FaultInjector(new FaultPlan([new FramesFaultRule(1)]), 1, null);
        s.Map(0, Page, Protection.ReadWrite, "one", out _).ShouldBe(ErrorCode.OutOfMemory);
        rig.Frames.Injector = null;
        rig.Frames.FreeCount.ShouldBe(free);
        s.Areas.ShouldBeEmpty();

        MapOk(s, Page).ShouldBe(2 * Page);
        foreach (ulong f in taken.Where(f => f % 2 == 1)) rig.Frames.Release(f);
        rig.ShouldBalance();
    }

    // ---------------------------------------------------------------- splitting areas

    [Fact]
    public void Paging_partial_unmap_splits_the_area_and_keeps_the_rest()
    {
        var rig = Rig();
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, 4 * Page, name: "heap");
        for (ulong i = 0; i < 4; i++) Write(s, a + i * Page + 8, 100 + i);

        s.Unmap(a + Page, Page).ShouldBe(ErrorCode.Ok);
        s.Areas.Select(v => (v.Start, v.End, v.Name)).ShouldBe([(a, a + Page, "heap"), (a + 2 * Page, a + 4 * Page, "heap")]);
        rig.Frames.UserCount.ShouldBe(3);
        Read(s, a + 8).ShouldBe(100UL);
        Read(s, a + 2 * Page + 8).ShouldBe(102UL);
        Read(s, a + 3 * Page + 8).ShouldBe(103UL);
        ShouldFault(s, a + Page + 8, AccessKind.Read, FaultReason.NotPresent);

        s.Unmap(a + 3 * Page, Page).ShouldBe(ErrorCode.Ok);
        s.Areas.Select(v => (v.Start, v.End)).ShouldBe([(a, a + Page), (a + 2 * Page, a + 3 * Page)]);
        s.Unmap(a, Page).ShouldBe(ErrorCode.Ok);
        s.Areas.Select(v => (v.Start, v.End)).ShouldBe([(a + 2 * Page, a + 3 * Page)]);
        rig.Frames.UserCount.ShouldBe(1);
        Read(s, a + 2 * Page + 8).ShouldBe(102UL);
        rig.ShouldBalance();
    }

    [Fact]
    public void Paging_partial_protect_splits_the_area_and_unmap_spans_the_pieces()
    {
        var rig = Rig();
        AddressSpace s = rig.NewSpace();
        ulong a = MapOk(s, 4 * Page);
        s.Protect(a + Page, 2 * Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        s.Areas.Select(v => (v.Start, v.End, v.Protection))
            .ShouldBe([(a, a + Page, Protection.ReadWrite), (a + Page, a + 3 * Page, Protection.Read), (a + 3 * Page, a + 4 * Page, Protection.ReadWrite)]);
        s.DumpMaps().ReplaceLineEndings("\n").ShouldBe(
            $"{a:x12}-{a + Page:x12} rw-p anon\n{a + Page:x12}-{a + 3 * Page:x12} r--p anon\n{a + 3 * Page:x12}-{a + 4 * Page:x12} rw-p anon\n");
        Write(s, a, 1);
        ShouldFault(s, a + Page, AccessKind.Write, FaultReason.ReadOnly);
        ShouldFault(s, a + 2 * Page, AccessKind.Write, FaultReason.ReadOnly);
        Write(s, a + 3 * Page, 4);

        // One unmap across all three pieces.
        s.Unmap(a, 4 * Page).ShouldBe(ErrorCode.Ok);
        s.Areas.ShouldBeEmpty();
        rig.Frames.UserCount.ShouldBe(0);
        rig.ShouldBalance();
    }

    // ---------------------------------------------------------------- reads and writes

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Reads_and_writes_cross_page_boundaries(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, 3 * Page);

        // A 64-bit value straddling the first boundary (the slow path of TryWriteUInt64/TryReadUInt64).
        Write(s, a + Page - 3, 0x8877_6655_4433_2211);
        Read(s, a + Page - 3).ShouldBe(0x8877_6655_4433_2211UL);
        var two = new byte[2];
        s.TryRead(a + Page - 1, two, out _).ShouldBeTrue();
        two.ShouldBe(new byte[] { 0x33, 0x44 });

        // A pattern over all three pages, written and read in one call each.
        byte[] pattern = Enumerable.Range(0, (int)(2 * Page + 100)).Select(i => (byte)(i * 7 + 1)).ToArray();
        s.TryWrite(a + 50, pattern, out MemoryFault wf).ShouldBeTrue(wf.ToString());
        var back = new byte[pattern.Length];
        s.TryRead(a + 50, back, out MemoryFault rf).ShouldBeTrue(rf.ToString());
        back.ShouldBe(pattern);

        // The bytes landed in the frames that back each page.
        var frames = s.UserFrames().ToDictionary(x => x.VirtualAddress, x => x.Frame);
        if (model == ProtectionModel.Paging)
        {
            rig.Memory.Frame(frames[a])[50].ShouldBe(pattern[0]);
            rig.Memory.Frame(frames[a + Page])[0].ShouldBe(pattern[(int)Page - 50]);
            rig.Memory.Frame(frames[a + 2 * Page])[0].ShouldBe(pattern[2 * (int)Page - 50]);
        }
        else
        {
            rig.Memory.Slice(a + Page, 1, false)[0].ShouldBe(pattern[(int)Page - 50]); // no translation under an MPU
        }
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_write_crossing_into_an_unmapped_page_writes_nothing(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, Page);
        ulong end = s.Areas[0].End; // v7 may round the area up; the first byte past it is unmapped

        byte[] data = [1, 2, 3, 4, 5, 6, 7, 8];
        s.TryWrite(end - 4, data, out MemoryFault f).ShouldBeFalse();
        f.Address.ShouldBe(end);
        f.Access.ShouldBe(AccessKind.Write);
        f.Reason.ShouldBe(model == ProtectionModel.Paging ? FaultReason.NotPresent : FaultReason.NoRegion);
        Read(s, end - 8).ShouldBe(0UL, "the bytes before the boundary were not written either");

        s.TryWriteUInt64(end - 4, ulong.MaxValue, out f).ShouldBeFalse();
        f.Address.ShouldBe(end);
        Read(s, end - 8).ShouldBe(0UL);

        var buffer = new byte[16];
        s.TryRead(end - 8, buffer, out f).ShouldBeFalse();
        f.Address.ShouldBe(end);
        f.Access.ShouldBe(AccessKind.Read);
        a.ShouldBeLessThan(end);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_write_crossing_into_a_read_only_area_writes_nothing(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        // Two adjacent one-page areas: under an MPU the kernel places them in adjacent frames, lowest first.
        ulong a = MapOk(s, Page, Protection.ReadWrite, model == ProtectionModel.Paging ? 0x4000_0000UL : 0UL);
        ulong b = MapOk(s, Page, Protection.Read, model == ProtectionModel.Paging ? a + Page : 0);
        b.ShouldBe(a + Page);

        byte[] data = Enumerable.Repeat((byte)0x77, 64).ToArray();
        s.TryWrite(b - 32, data, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);
        f.Address.ShouldBe(b);
        var before = new byte[32];
        s.TryRead(b - 32, before, out _).ShouldBeTrue();
        before.ShouldAllBe(x => x == 0);

        // Once both are writable the same write goes through, across two areas (two MPU regions).
        s.Protect(b, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        s.TryWrite(b - 32, data, out f).ShouldBeTrue(f.ToString());
        var after = new byte[64];
        s.TryRead(b - 32, after, out _).ShouldBeTrue();
        after.ShouldBe(data);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Protection_bits_are_enforced_active_and_inactive(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        AddressSpace other = rig.NewSpace();
        ulong r = MapOk(s, Page, Protection.Read);
        ulong rw = MapOk(s, Page, Protection.ReadWrite);
        ulong rx = MapOk(s, Page, Protection.Read | Protection.Execute);
        ulong none = MapOk(s, Page, Protection.None);

        foreach (bool active in new[] { false, true })
        {
            (active ? s : other).Activate();
            Read(s, r).ShouldBe(0UL);
            ShouldFault(s, r, AccessKind.Write, FaultReason.ReadOnly);
            ShouldFault(s, r, AccessKind.Execute, FaultReason.NoExecute);
            Write(s, rw, 42);
            Read(s, rw).ShouldBe(42UL);
            ShouldFault(s, rw, AccessKind.Execute, FaultReason.NoExecute);
            s.TryFetch(rx, new byte[16], out MemoryFault f).ShouldBeTrue(f.ToString());
            ShouldFault(s, rx, AccessKind.Write, FaultReason.ReadOnly);
            FaultReason noneReason = model == ProtectionModel.Paging ? FaultReason.NotPresent : FaultReason.Supervisor;
            ShouldFault(s, none, AccessKind.Read, noneReason);
            ShouldFault(s, none, AccessKind.Write, noneReason);
        }
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Protect_none_keeps_the_frame_and_protect_back_restores_the_data(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, Page);
        Write(s, a + 16, 0xFEED_FACE);
        var framesBefore = s.UserFrames().ToList();

        s.Protect(a, Page, Protection.None).ShouldBe(ErrorCode.Ok);
        s.Areas[0].Protection.ShouldBe(Protection.None);
        s.DumpMaps().ShouldContain("---p anon");
        ShouldFault(s, a + 16, AccessKind.Read, model == ProtectionModel.Paging ? FaultReason.NotPresent : FaultReason.Supervisor);
        s.UserFrames().ToList().ShouldBe(framesBefore);
        rig.Frames.UserCount.ShouldBe(framesBefore.Count);
        rig.ShouldBalance();

        s.Protect(a, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        Read(s, a + 16).ShouldBe(0xFEED_FACEUL);

        // Unmapping a PROT_NONE page gives its frame back too.
        s.Protect(a, Page, Protection.None).ShouldBe(ErrorCode.Ok);
        s.Unmap(a, s.Areas[0].Length).ShouldBe(ErrorCode.Ok);
        rig.Frames.UserCount.ShouldBe(0);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void Spaces_are_isolated_from_each_other(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace a = rig.NewSpace();
        AddressSpace b = rig.NewSpace();
        ulong pa = MapOk(a, Page);
        ulong pb = MapOk(b, Page);
        Write(a, pa, 0xAAAA);
        Write(b, pb, 0xBBBB);
        if (model == ProtectionModel.Paging)
        {
            pa.ShouldBe(pb, "both spaces get the same virtual address...");
            a.UserFrames().Single().Frame.ShouldNotBe(b.UserFrames().Single().Frame, "...backed by different frames");
        }
        foreach (AddressSpace active in new[] { a, b })
        {
            active.Activate();
            Read(a, pa).ShouldBe(0xAAAAUL);
            Read(b, pb).ShouldBe(0xBBBBUL);
        }
        if (model != ProtectionModel.Paging)
        {
            // No translation: b's memory is at another physical address, which a has no region for.
            a.Activate();
            ShouldFault(a, pb, AccessKind.Read, FaultReason.NoRegion);
            ShouldFault(b, pa, AccessKind.Read, FaultReason.NoRegion); // b inactive: checked from its areas
        }
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(AllModels))]
    public void A_destroyed_space_faults_and_refuses_maps(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, 2 * Page);
        Write(s, a, 1);
        s.Destroy();
        s.IsDestroyed.ShouldBeTrue();
        s.UserFrames().ShouldBeEmpty();
        s.Areas.ShouldBeEmpty();
        rig.Frames.UserCount.ShouldBe(0);
        s.TryReadUInt64(a, out _, out MemoryFault f).ShouldBeFalse();
        s.TryWriteUInt64(a, 1, out f).ShouldBeFalse();
        s.Map(0, Page, Protection.ReadWrite, "late", out _).ShouldBe(ErrorCode.BadAddress);
        s.Unmap(a, Page).ShouldBe(ErrorCode.NotMapped);
        s.Destroy(); // twice is harmless
        rig.ShouldBalance();
        if (model == ProtectionModel.Paging) rig.Machine.Mmu.Root.ShouldBe(ulong.MaxValue);
        else rig.Machine.MpuOwner.ShouldBeNull();
    }

    // ---------------------------------------------------------------- MPU specifics

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Mpu_partial_unmap_or_protect_of_an_area_is_InvalidArgument(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, 4 * Page);
        Write(s, a + 3 * Page, 9);
        int free = rig.Frames.FreeCount;

        s.Unmap(a, Page).ShouldBe(ErrorCode.InvalidArgument);
        s.Unmap(a + Page, 3 * Page).ShouldBe(ErrorCode.InvalidArgument);
        s.Protect(a + Page, Page, Protection.Read).ShouldBe(ErrorCode.InvalidArgument);
        s.Protect(a, 2 * Page, Protection.Read).ShouldBe(ErrorCode.InvalidArgument);

        s.Areas.Count.ShouldBe(1);
        s.Areas[0].Protection.ShouldBe(Protection.ReadWrite);
        rig.Frames.FreeCount.ShouldBe(free);
        Read(s, a + 3 * Page).ShouldBe(9UL);
        Write(s, a + Page, 1);

        s.Protect(a, 4 * Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        ShouldFault(s, a + Page, AccessKind.Write, FaultReason.ReadOnly);
        s.Unmap(a, 4 * Page).ShouldBe(ErrorCode.Ok);
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Mpu_unmap_of_two_whole_adjacent_areas_in_one_call_works(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, Page);
        ulong b = MapOk(s, Page, Protection.Read);
        b.ShouldBe(a + Page);
        s.Unmap(a, 2 * Page).ShouldBe(ErrorCode.Ok);
        s.Areas.ShouldBeEmpty();
        rig.Frames.UserCount.ShouldBe(0);
        ShouldFault(s, a, AccessKind.Read, FaultReason.NoRegion);
        ShouldFault(s, b, AccessKind.Read, FaultReason.NoRegion);
        rig.ShouldBalance();
    }

    [Theory]
    [InlineData(ProtectionModel.ArmV7Mpu, 8, 0)]
    [InlineData(ProtectionModel.ArmV8Mpu, 8, 0)]
    [InlineData(ProtectionModel.ArmV7Mpu, 16, 0)]
    [InlineData(ProtectionModel.ArmV8Mpu, 8, 3)]
    public void Mpu_region_budget_exhausted_is_NoMpuRegion(ProtectionModel model, int regions, int reserved)
    {
        var rig = Rig(model, mpuRegions: regions);
        var s = (MpuAddressSpace)rig.NewSpace(reserved);
        s.RegionBudget.ShouldBe(regions - reserved);
        s.Activate();
        var areas = new List<ulong>();
        for (int i = 0; i < s.RegionBudget; i++) areas.Add(MapOk(s, Page));
        int free = rig.Frames.FreeCount;

        s.Map(0, Page, Protection.ReadWrite, "one too many", out ulong mapped).ShouldBe(ErrorCode.NoMpuRegion);
        mapped.ShouldBe(0UL);
        rig.Frames.FreeCount.ShouldBe(free);
        s.Areas.Count.ShouldBe(s.RegionBudget);
        foreach (ulong a in areas) Write(s, a, a);

        s.Unmap(areas[2], Page).ShouldBe(ErrorCode.Ok);
        ulong again = MapOk(s, Page);
        Write(s, again, 5);
        foreach (ulong a in areas.Where(x => x != areas[2])) Read(s, a).ShouldBe(a);
        rig.ShouldBalance();
    }

    [Fact]
    public void ArmV7_rounds_a_three_page_map_up_to_a_four_page_block_aligned_to_its_size()
    {
        var rig = Rig(ProtectionModel.ArmV7Mpu);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong one = MapOk(s, Page);          // frame 1
        ulong a = MapOk(s, 3 * Page);        // needs a 16 KiB block on a 16 KiB boundary
        one.ShouldBe(Page);
        (a % (4 * Page)).ShouldBe(0UL);
        a.ShouldBe(4 * Page, "lowest 4-aligned free run: frames 4..7");
        Vma v = s.Areas.Single(x => x.Start == a);
        v.Length.ShouldBe(4 * Page);
        v.BlockFrames.ShouldBe(4UL);
        v.FirstFrame.ShouldBe(a / Page);
        rig.Frames.UserCount.ShouldBe(5);
        for (ulong f = 4; f < 8; f++) rig.Frames.UseOf(f).ShouldBe(FrameUse.User);

        var mpu = (ArmV7Mpu)rig.Machine.Mpu!;
        mpu.Check(a, 4 * Page, AccessKind.Write, privileged: false).ShouldBeNull();
        Write(s, a + 4 * Page - 8, 1);                    // the rounded-up page is really there
        ShouldFault(s, a + 4 * Page, AccessKind.Read, FaultReason.NoRegion); // just past the block
        s.DumpHardware().ShouldContain("ARMv7-M PMSA");
        rig.ShouldBalance();
    }

    [Fact]
    public void ArmV8_maps_exactly_three_pages()
    {
        var rig = Rig(ProtectionModel.ArmV8Mpu);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, 3 * Page);
        a.ShouldBe(Page);
        s.Areas.Single().Length.ShouldBe(3 * Page);
        rig.Frames.UserCount.ShouldBe(3);
        Write(s, a + 3 * Page - 8, 1);
        ShouldFault(s, a + 3 * Page, AccessKind.Read, FaultReason.NoRegion);
        ulong b = MapOk(s, Page);
        b.ShouldBe(a + 3 * Page, "the next block starts where the last one ended");
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Mpu_access_just_past_an_area_faults_active_and_inactive(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        AddressSpace other = rig.NewSpace();
        ulong a = MapOk(s, 2 * Page);
        ulong end = s.Areas.Single().End;
        foreach (bool active in new[] { false, true })
        {
            (active ? s : other).Activate();
            Write(s, end - 8, 3);
            ShouldFault(s, end, AccessKind.Read, FaultReason.NoRegion);
            ShouldFault(s, end, AccessKind.Write, FaultReason.NoRegion);
            ShouldFault(s, end - 4, AccessKind.Read, FaultReason.NoRegion, at: end);
            ShouldFault(s, a - 8, AccessKind.Read, FaultReason.NoRegion);
            ShouldFault(s, 0, AccessKind.Read, FaultReason.NoRegion); // frame 0 is the kernel's
        }
        rig.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(MpuModels))]
    public void Mpu_unmap_and_protect_of_the_active_space_reprogram_the_regions_at_once(ProtectionModel model)
    {
        var rig = Rig(model);
        AddressSpace s = rig.NewSpace();
        s.Activate();
        ulong a = MapOk(s, Page);
        ulong b = MapOk(s, Page);
        Write(s, a, 1);
        Write(s, b, 2);
        MicroKernel.Hardware.Mpu.Mpu mpu = rig.Machine.Mpu!;

        s.Protect(a, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        mpu.Check(a, 8, AccessKind.Write, privileged: false).ShouldNotBeNull().Reason.ShouldBe(FaultReason.ReadOnly);
        ShouldFault(s, a, AccessKind.Write, FaultReason.ReadOnly);

        s.Unmap(b, Page).ShouldBe(ErrorCode.Ok);
        mpu.Check(b, 8, AccessKind.Read, privileged: false).ShouldNotBeNull();
        ShouldFault(s, b, AccessKind.Read, FaultReason.NoRegion);
        Read(s, a).ShouldBe(1UL);

        // A new map is usable at once, without a context switch.
        ulong c = MapOk(s, Page);
        mpu.Check(c, Page, AccessKind.Write, privileged: false).ShouldBeNull();
        Write(s, c, 3);
        rig.ShouldBalance();
    }

    // ---------------------------------------------------------------- the kernel's invariant check

    [Fact]
    public void Kernel_CheckInvariants_reports_a_leaked_or_miscounted_user_frame()
    {
        var k = TestKernels.Boot();
        k.ShouldBalance();
        k.Frames.TryAllocate(FrameUse.User, out ulong f).ShouldBeTrue();
        k.CheckInvariants().ShouldContain(p => p.Contains($"frame {f}") && p.Contains("leaked"));
        k.Frames.AddRef(f);
        k.CheckInvariants().ShouldNotBeEmpty();
        k.Frames.Release(f);
        k.Frames.Release(f);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }
}
