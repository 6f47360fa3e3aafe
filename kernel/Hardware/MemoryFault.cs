namespace MicroKernel.Hardware;

/// <summary>
/// What a protection unit reports when it refuses an access: the faulting address, the access kind and why.
/// The kernel turns it into a fault record for the process's fault policy.
/// </summary>
/// <param name="Address">The first address of the access that is not allowed.</param>
/// <param name="Access">Read, write or execute.</param>
/// <param name="Reason">Why the access was refused.</param>
public readonly record struct MemoryFault(ulong Address, AccessKind Access, FaultReason Reason)
{
    /// <inheritdoc />
    public override string ToString() => $"{Reason} on {Access.ToString().ToLowerInvariant()} at 0x{Address:x}";
}
