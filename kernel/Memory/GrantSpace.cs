using MicroKernel.Hardware;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// An RPC grant (design.md 3.2, docs/rpc.md): what one thread may touch while it runs a service method for
/// another process: the callee's memory plus the caller's SHARED buffers, and nothing else of the caller. It is a
/// view the thread's loads and stores go through (<c>SimThread.Space</c>), not a space of its own: the kernel never
/// maps, unmaps or sends pages through it. Built at rpc_call entry, released at return, revoked at once if the callee
/// dies during the call.
/// </summary>
public abstract class GrantSpace : AddressSpace
{
    private protected GrantSpace(Machine machine, FrameAllocator frames, AddressSpace callee, AddressSpace caller) : base(machine, frames)
    {
        Callee = callee;
        Caller = caller;
    }

    /// <summary>The callee's address space, which the grant shows in full.</summary>
    public AddressSpace Callee { get; }

    /// <summary>The caller's address space, of which the grant shows the SHARED buffers only.</summary>
    public AddressSpace Caller { get; }

    /// <summary>Pages of SHARED buffers (the caller's and the callee's own) this grant maps.</summary>
    public abstract int SharedPages { get; }

    /// <summary>MPU regions the grant takes when loaded (0 under paging).</summary>
    public abstract int MpuRegions { get; }

    /// <summary>The callee's and the caller's <see cref="AddressSpace.Generation"/> when the grant was built.</summary>
    internal (long Callee, long Caller) BuiltAt { get; set; }

    /// <summary>
    /// True when the grant still shows exactly what a fresh one would: neither space changed its mappings since it was
    /// built (the callee's new top-level tables reach a paging grant anyway). Such a grant may serve the next call.
    /// </summary>
    internal bool IsCurrent => !IsRevoked && !Callee.IsDestroyed && !Caller.IsDestroyed && BuiltAt == (Callee.Generation, Caller.Generation);

    /// <summary>True once revoked or released: every access faults.</summary>
    public bool IsRevoked { get; private protected set; }

    /// <inheritdoc />
    public override ulong UserLow => Callee.UserLow;

    /// <inheritdoc />
    public override ulong UserHigh => Callee.UserHigh;

    /// <summary>The callee is dying: from now on every access through the grant faults. Idempotent.</summary>
    internal abstract void Revoke();

    /// <summary>The call is over: revokes, then gives back the grant's frames and frame references. Idempotent.</summary>
    internal abstract void Release();

    /// <summary>How many references to <paramref name="frame"/> the grant holds (SHARED pages it keeps alive).</summary>
    internal abstract int PinnedReferences(ulong frame);

    /// <inheritdoc />
    public override void Destroy() => Release();

    /// <inheritdoc />
    public override IEnumerable<(ulong VirtualAddress, ulong Frame)> UserFrames() => [];

    // A grant is a view: nothing is mapped, sent or unmapped through it.
    private protected override ErrorCode MapCore(ulong address, ulong size, Protection protection, string name, out ulong mapped)
    {
        mapped = 0;
        return ErrorCode.NotPermitted;
    }

    private protected override ErrorCode UnmapCore(ulong start, ulong end) => ErrorCode.NotPermitted;

    private protected override ErrorCode ProtectCore(ulong start, ulong end, Protection protection) => ErrorCode.NotPermitted;

    internal override ErrorCode CheckSendRange(ulong address, ulong pages, bool needWrite) => ErrorCode.NotPermitted;

    internal override PageRun DetachPages(ulong address, ulong pages) => throw new InvalidOperationException("a grant holds no pages of its own");

    internal override ErrorCode ReferencePages(ulong address, ulong pages, out PageRun run)
    {
        run = null!;
        return ErrorCode.NotPermitted;
    }

    internal override ErrorCode DuplicatePages(ulong address, ulong pages, bool senderKeepsWrite, int copies, out PageRun[] runs)
    {
        runs = [];
        return ErrorCode.NotPermitted;
    }

    internal override ErrorCode AttachPages(PageRun run, Protection protection, string name, out ulong address)
    {
        address = 0;
        return ErrorCode.NotPermitted;
    }
}
