namespace MicroKernel.Memory;

/// <summary>
/// Hands out the addresses of RPC SHARED buffers under paging: a range of the
/// <see cref="PagedAddressSpace.RpcWindowBase"/> window no other process uses, so a grant can show a caller's and a
/// callee's buffers side by side at the addresses their owners use. One per kernel; addresses are never reused.
/// Spaces that need no unique addresses (MPU: an address is its frame already) leave it untouched.
/// </summary>
internal sealed class RpcWindow
{
    /// <summary>The next free address of the window.</summary>
    public ulong Next { get; private set; } = PagedAddressSpace.RpcWindowBase;

    /// <summary>True when <paramref name="size"/> more bytes fit in the window.</summary>
    public bool Fits(ulong size) => size <= PagedAddressSpace.RpcWindowTop - Next;

    /// <summary>The buffer at <see cref="Next"/> was mapped: the window moves past it.</summary>
    public void Take(ulong size) => Next += size;
}
