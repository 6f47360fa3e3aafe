using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// A copy-on-write break in the loaded space must drop the TLB's translation of the page: the TLB still holds the
/// read-only translation to the shared frame, and a read through it would see the other holder's later writes.
/// A write check alone breaks the page (a syscall checks its buffer first and may fail before it writes), so the
/// next access to the page can be a read that hits the TLB.
/// </summary>
public sealed class PagedCopyOnWriteTlbTests : PagedRigTests
{
    [Fact]
    public void After_a_break_the_loaded_space_reads_its_own_copy_not_the_frame_it_shared()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        a.Activate();
        a.TryWriteUInt64(Va, 1, out _).ShouldBeTrue();
        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] runs).ShouldBe(ErrorCode.Ok);
        b.AttachPages(runs[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);

        a.TryReadUInt64(Va, out ulong value, out _).ShouldBeTrue(); // the TLB now holds the shared frame, read-only
        value.ShouldBe(1UL);
        a.CheckRange(Va, 8, AccessKind.Write, out _).ShouldBeTrue("the check breaks the page: a has a copy");
        a.CopyOnWriteBreaks.ShouldBe(1);

        b.TryWriteUInt64(inB, 7, out _).ShouldBeTrue(); // b is the frame's last holder now: it writes it in place
        a.TryReadUInt64(Va, out value, out _).ShouldBeTrue();
        value.ShouldBe(1UL, "a's copy, not the frame b writes");
    }
}
