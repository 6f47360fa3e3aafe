using MicroKernel.Hardware;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

// Page transfer under an MPU: the unit is a whole VMA (one region-guarded block); nothing is translated, so a
// moved or shared block keeps its physical address in the receiver, and a duplicate is an eager copy.
public sealed partial class MpuAddressSpace
{
    /// <inheritdoc />
    public override bool CanTakeRegions(int areas) => RegionsInUse + areas <= RegionBudget;

    /// <inheritdoc />
    public override bool CanShareWithItself => false;

    // A SHARED buffer is an ordinary block: its address is its frame, unique across processes already.
    private protected override ErrorCode MapSharedCore(ulong size, RpcWindow window, out ulong mapped) =>
        MapCore(0, size, Protection.ReadWrite, "rpc shared", out mapped);

    internal override ErrorCode TryCreateGrant(AddressSpace caller, out GrantSpace? grant, out int regionsNeeded)
    {
        grant = null;
        regionsNeeded = 0;
        if (caller is not MpuAddressSpace mpuCaller) return ErrorCode.NotPermitted;
        ErrorCode e = MpuGrantSpace.TryCreate(this, mpuCaller, out MpuGrantSpace? g, out regionsNeeded);
        grant = g;
        return e;
    }

    internal override ErrorCode CheckSendRange(ulong address, ulong pages, bool needWrite)
    {
        Vma? v = Vmas.Find(address);
        if (v is null) return ErrorCode.NotMapped;
        if (v.Start != address || v.End != address + pages * PageSize) return ErrorCode.InvalidArgument;
        if (v.Segment != 0 || (v.Protection & Protection.Read) == 0 || (needWrite && (v.Protection & Protection.Write) == 0)) return ErrorCode.NotPermitted;
        return ErrorCode.Ok;
    }

    internal override PageRun DetachPages(ulong address, ulong pages)
    {
        Vma v = Vmas.Find(address)!;
        Vmas.Remove(v);
        Changed();
        Reprogram();
        return new PageRun(BlockFrames(v), copyOnWrite: false);
    }

    internal override ErrorCode ReferencePages(ulong address, ulong pages, out PageRun run)
    {
        ulong[] frames = BlockFrames(Vmas.Find(address)!);
        foreach (ulong f in frames) Frames.AddRef(f);
        run = new PageRun(frames, copyOnWrite: false);
        return ErrorCode.Ok;
    }

    internal override ErrorCode DuplicatePages(ulong address, ulong pages, bool senderKeepsWrite, int copies, out PageRun[] runs)
    {
        runs = [];
        Vma v = Vmas.Find(address)!;
        var made = new List<PageRun>();
        for (int c = 0; c < copies; c++)
        {
            if (!Frames.TryAllocateContiguous((int)v.BlockFrames, IsV7 ? (int)v.BlockFrames : 1, FrameUse.User, out ulong first))
            {
                foreach (PageRun r in made) ReleaseRun(r);
                return ErrorCode.OutOfMemory;
            }
            for (ulong i = 0; i < v.BlockFrames; i++) Machine.Memory.CopyFrame(v.FirstFrame + i, first + i);
            made.Add(new PageRun(Enumerable.Range(0, (int)v.BlockFrames).Select(i => first + (ulong)i).ToArray(), copyOnWrite: false));
        }
        if (!senderKeepsWrite)
        {
            v.Protection &= ~Protection.Write;
            Changed();
            Reprogram();
        }
        runs = made.ToArray();
        return ErrorCode.Ok;
    }

    internal override ErrorCode AttachPages(PageRun run, Protection protection, string name, out ulong address)
    {
        address = run.Frames[0] * PageSize;
        ulong end = address + (ulong)run.Count * PageSize;
        if (Vmas.Overlaps(address, end)) return ErrorCode.InvalidArgument; // a block shared with itself
        if (RegionsTaken >= RegionBudget) return ErrorCode.NoMpuRegion;
        Vmas.Insert(new Vma(address, end, protection, name) { FirstFrame = run.Frames[0], BlockFrames = (ulong)run.Count });
        Changed();
        Reprogram();
        return ErrorCode.Ok;
    }

    /// <summary>Regions this space uses now.</summary>
    internal int RegionsInUse => Vmas.Count;

    /// <summary>
    /// Checks an access against the VMA rules without the MPU (the space is not loaded): what the kernel uses to
    /// read a space, and what an RPC grant uses for the callee's part when the grant is not loaded.
    /// </summary>
    internal bool CheckAgainstAreas(ulong va, int length, AccessKind access, out MemoryFault fault) => CheckInactive(va, length, access, out fault);

    private static ulong[] BlockFrames(Vma v) => Enumerable.Range(0, (int)v.BlockFrames).Select(i => v.FirstFrame + (ulong)i).ToArray();
}
