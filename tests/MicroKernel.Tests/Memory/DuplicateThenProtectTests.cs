using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using MicroKernel.Memory;
using MicroKernel.Syscalls;
using static MicroKernel.Tests.Memory.MemoryRig;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// A duplicate is a snapshot: once pages are sent as a copy, no later protect of either side may let a write reach
/// the other side's frame. A read-only page duplicated (or a writable one whose sender gave up write) and made writable
/// again copies on its first write, as does a copy received read-only and made writable.
/// </summary>
public sealed class DuplicateThenProtectTests : PagedRigTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_sender_that_makes_its_duplicated_page_writable_again_copies_it_on_its_first_write(bool readOnlyFirst)
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        Write(a, Va, 0xA0);
        if (readOnlyFirst) a.Protect(Va, Page, Protection.Read).ShouldBe(ErrorCode.Ok);
        // A read-only page is sent keeping write (there is none to keep); a writable one is sent giving it up.
        a.DuplicatePages(Va, 1, senderKeepsWrite: readOnlyFirst, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.ReadWrite, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);

        a.Protect(Va, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        Write(a, Va, 0xA1);

        Read(b, inB).ShouldBe(0xA0UL, "the receiver's copy is a snapshot");
        Read(a, Va).ShouldBe(0xA1UL);
        a.CopyOnWriteBreaks.ShouldBe(1);
        a.CheckTablesAgainstVmas("a").ShouldBeEmpty();
    }

    [Fact]
    public void A_copy_received_read_only_and_made_writable_copies_it_on_its_first_write()
    {
        MemoryRig rig = Rig();
        PagedAddressSpace a = rig.NewPaged(), b = rig.NewPaged();
        a.Map(Va, Page, Protection.ReadWrite, "data", out _).ShouldBe(ErrorCode.Ok);
        Write(a, Va, 0xA0);
        a.DuplicatePages(Va, 1, senderKeepsWrite: true, copies: 1, out PageRun[] dup).ShouldBe(ErrorCode.Ok);
        b.AttachPages(dup[0], Protection.Read, "copy", out ulong inB).ShouldBe(ErrorCode.Ok);
        b.TryWriteUInt64(inB, 1, out MemoryFault f).ShouldBeFalse();
        f.Reason.ShouldBe(FaultReason.ReadOnly);

        b.Protect(inB, Page, Protection.ReadWrite).ShouldBe(ErrorCode.Ok);
        Write(b, inB, 0xB1);

        Read(a, Va).ShouldBe(0xA0UL, "the sender's page is not the receiver's to write");
        Read(b, inB).ShouldBe(0xB1UL);
        b.CheckTablesAgainstVmas("b").ShouldBeEmpty();
    }
}
