using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

// What RPC asks of a space: SHARED buffers (rpc_shared) and the grant a call into this space runs under. Each
// protection model builds them its own way; RPC code never asks which model it talks to.
public abstract partial class AddressSpace
{
    /// <summary>
    /// rpc_shared: maps <paramref name="length"/> bytes (rounded up to pages) of zeroed read/write memory as an RPC
    /// SHARED buffer, at addresses taken from <paramref name="window"/> when the model needs addresses unique across
    /// processes (paging) or where the space chooses (MPU). Callees of this process's rpc_calls get access to it for
    /// the duration of a call.
    /// </summary>
    internal ErrorCode MapShared(ulong length, RpcWindow window, out ulong mapped)
    {
        mapped = 0;
        if (length == 0) return ErrorCode.InvalidArgument;
        if (IsDestroyed) return ErrorCode.BadAddress;
        if (length > UserHigh) return ErrorCode.OutOfMemory;
        ErrorCode e = MapSharedCore(RoundUp(length), window, out mapped);
        if (e != ErrorCode.Ok) return e;
        Vmas.Find(mapped)!.Shared = true;
        Changed();
        return e;
    }

    /// <summary>Maps a SHARED buffer of <paramref name="size"/> bytes (whole pages) where this model puts them.</summary>
    private protected abstract ErrorCode MapSharedCore(ulong size, RpcWindow window, out ulong mapped);

    /// <summary>The RPC SHARED buffers of this space, by address.</summary>
    public IEnumerable<Vma> SharedAreas => Vmas.Areas.Where(v => v.Shared);

    /// <summary>
    /// Builds the grant of a call from <paramref name="caller"/> into this space (the callee), the way this
    /// protection model enforces one. OutOfMemory when frames run out, NoMpuRegion when the grant needs more regions
    /// than the MPU has (<paramref name="regionsNeeded"/> says how many; 0 under paging), BadAddress when this space
    /// is destroyed, NotPermitted when <paramref name="caller"/> uses another protection model.
    /// </summary>
    internal abstract ErrorCode TryCreateGrant(AddressSpace caller, out GrantSpace? grant, out int regionsNeeded);
}
