using MicroKernel.Hardware.Paging;
using MicroKernel.Invariants;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Invariants;

// frame-accounting has several conditions of its own (a leak, a kernel frame mapped by a user, a reference count off
// by one). Each is broken alone here, so a check that lost one of them (say an `||` turned into `&&`, the mutant that
// once survived every test) fails a test instead of passing silently.
public partial class InvariantCatalogueTests
{
    [Fact, Trait(Breaks, "frame-accounting")]
    public void Frame_accounting_catches_a_user_frame_that_nothing_maps()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong leaked = 0;
        k.Spawn("victim", sys =>
        {
            k.Frames.TryAllocate(FrameUse.User, out leaked).ShouldBeTrue(); // taken for a mapping that never happens
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("frame-accounting");
        e.Violations.ShouldHaveSingleItem().Problem.ShouldBe($"frame {leaked} is a user frame that nothing maps (leaked)");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "frame-accounting")]
    public void Frame_accounting_catches_a_user_page_mapped_onto_a_kernel_frame()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong page = 0;
        k.Spawn("victim", sys =>
        {
            page = sys.Map(4096);
            var space = (PagedAddressSpace)k.ProcessOf(sys).AddressSpace;
            ulong entry = space.QueryEntry(page);
            // The entry now points at frame 0, the kernel's; its own frame is handed back so only this is wrong.
            space.PageTable.SetLeaf(page, Pte.Make(0, entry & ~Pte.AddressMask));
            k.Frames.Release(Pte.FrameOf(entry));
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("frame-accounting");
        e.Violations.Where(v => v.Invariant == "frame-accounting").ShouldHaveSingleItem()
            .Problem.ShouldBe($"pid 1 (victim) maps 0x{page:x} to frame 0, which is the kernel's");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "frame-accounting")]
    public void Frame_accounting_catches_a_shared_frame_that_lost_a_reference()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong frame = 0;
        k.Spawn("victim", sys =>
        {
            ulong page = sys.Map(4096);
            frame = FrameOf(k, sys, page);
            var space = (PagedAddressSpace)k.ProcessOf(sys).AddressSpace;
            // A second page of the space maps the same frame (as after a share) without taking its reference.
            ulong other = sys.Map(4096);
            ulong otherEntry = space.QueryEntry(other);
            space.PageTable.SetLeaf(other, Pte.Make(frame, otherEntry & ~Pte.AddressMask));
            k.Frames.Release(Pte.FrameOf(otherEntry));
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("frame-accounting");
        e.Violations.Where(v => v.Invariant == "frame-accounting").ShouldHaveSingleItem()
            .Problem.ShouldBe($"frame {frame} has 1 references but 2 mappings and 0 IPC pins");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "no-freed-frame-mapped")]
    public void No_freed_frame_mapped_catches_a_page_mapped_beyond_ram_and_frame_accounting_leaves_it_alone()
    {
        var k = Boot(CheckLevel.Syscall);
        ulong page = 0;
        k.Spawn("victim", sys =>
        {
            page = sys.Map(4096);
            var space = (PagedAddressSpace)k.ProcessOf(sys).AddressSpace;
            ulong entry = space.QueryEntry(page);
            // The first frame past the end of RAM: frame-accounting must skip it (no array holds it), not crash.
            space.PageTable.SetLeaf(page, Pte.Make((ulong)k.Frames.TotalCount, entry & ~Pte.AddressMask));
            k.Frames.Release(Pte.FrameOf(entry));
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("no-freed-frame-mapped");
        e.Violations.Select(v => v.ToString()).ShouldBe([
            $"no-freed-frame-mapped: pid 1 (victim) maps 0x{page:x} to frame {k.Frames.TotalCount}, beyond the {k.Frames.TotalCount} frames of RAM"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }
}
