namespace MicroKernel.Memory;

/// <summary>
/// An RPC grant (docs/rpc.md): what one thread may touch while it runs a service method for
/// another process: the callee's memory plus the caller's SHARED buffers, and nothing else of the caller. It is a
/// <see cref="MemoryView"/> the thread's loads and stores go through (<c>SimThread.Space</c>), not an address space:
/// it owns no mappings, so it has no map, unmap, protect or page-transfer operations at all. Built at rpc_call entry
/// (by the callee's space, <see cref="AddressSpace.TryCreateGrant"/>), released at return, revoked at once if the
/// callee dies during the call.
/// </summary>
public abstract class GrantSpace : MemoryView
{
    private protected GrantSpace(AddressSpace callee, AddressSpace caller) : base(callee.Machine)
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
}
