using MicroKernel.Ipc.Shmem;
using MicroKernel.Syscalls;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// An owned shared-memory segment as a program holds it (the seed's IPDL <c>Shmem</c>, docs/shmem.md): a view of the
/// segment's memory that works only while this process owns the segment. <see cref="Send"/> (HereYouGo, ThanksDone)
/// gives it to the peer and the view refuses every use from then on, as the seed's <c>get()</c> does; a raw pointer
/// kept from before (<see cref="Get"/>) faults instead, because the kernel took the pages' access away.
/// <see cref="Call"/> (GiveAndGetBack) lends it to the peer's handler and has it back when the call returns.
/// </summary>
public sealed class Shmem
{
    private readonly Sys _sys;

    private Shmem(Sys sys, int id, ulong address, ulong size, bool isUnsafe, bool owned)
    {
        _sys = sys;
        Id = id;
        _address = address;
        Size = size;
        Unsafe = isUnsafe;
        Owned = owned;
    }

    private readonly ulong _address;

    /// <summary>The segment's id (kernel-wide): what travels in messages.</summary>
    public int Id { get; }

    /// <summary>Its size in bytes.</summary>
    public ulong Size { get; }

    /// <summary>True for an unsafe segment: both sides may use it always.</summary>
    public bool Unsafe { get; }

    /// <summary>True while this process owns the segment (always for an unsafe one that is not destroyed).</summary>
    public bool Owned { get; private set; }

    /// <summary>
    /// AllocShmem / AllocUnsafeShmem: a new zeroed segment of <paramref name="size"/> bytes on
    /// <paramref name="connection"/> (<see cref="Sys.ShmConnect"/>), owned by this process.
    /// </summary>
    public static Shmem Create(Sys sys, int connection, ulong size, bool isUnsafe = false)
    {
        int id = sys.ShmCreate(connection, size, isUnsafe ? ShmemFlags.Unsafe : ShmemFlags.None);
        return new Shmem(sys, id, sys.ShmAddress(id), size, isUnsafe, owned: true);
    }

    /// <summary>The segment a handler received: this process owns it now.</summary>
    public static Shmem Received(Sys sys, in SegmentMessage message) =>
        new(sys, message.Segment, message.Address, message.Size, message.Unsafe, owned: true);

    /// <summary>
    /// The seed's <c>get()</c>: the segment's address in this process, or <see cref="InvalidOperationException"/>
    /// when this process does not own it (it was sent).
    /// </summary>
    public ulong Get()
    {
        if (!Owned) throw new InvalidOperationException(string.Create(CultureInfo.InvariantCulture, $"shmem segment {Id} was sent: this process does not own it"));
        return _address;
    }

    /// <summary>Reads <paramref name="destination"/>.Length bytes at <paramref name="offset"/> (owner only, within the segment).</summary>
    public void Read(ulong offset, Span<byte> destination) => _sys.Memory.Read(At(offset, (ulong)destination.Length), destination);

    /// <summary>Writes <paramref name="bytes"/> at <paramref name="offset"/> (owner only, within the segment).</summary>
    public void Write(ulong offset, ReadOnlySpan<byte> bytes) => _sys.Memory.Write(At(offset, (ulong)bytes.Length), bytes);

    /// <summary>Reads a 64-bit value at <paramref name="offset"/> (owner only).</summary>
    public ulong ReadUInt64(ulong offset) => _sys.Memory.ReadUInt64(At(offset, 8));

    /// <summary>Writes a 64-bit value at <paramref name="offset"/> (owner only).</summary>
    public void WriteUInt64(ulong offset, ulong value) => _sys.Memory.WriteUInt64(At(offset, 8), value);

    /// <summary>
    /// HereYouGo / ThanksDone: gives the segment to the peer in an asynchronous message of <paramref name="type"/>.
    /// This process loses access at once; the peer's segment handler gets it.
    /// </summary>
    public void Send(ulong type)
    {
        _sys.ShmSend(Id, type);
        if (!Unsafe) Owned = false;
    }

    /// <summary>
    /// GiveAndGetBack: lends the segment to the peer's segment handler for one call and waits; returns the
    /// handler's result, and the segment is this process's again.
    /// </summary>
    public long Call(ulong type)
    {
        Get();
        return _sys.ShmCall(Id, type);
    }

    /// <summary>Unmaps the segment from both processes and frees it (owner only).</summary>
    public void Destroy()
    {
        _sys.ShmDestroy(Id);
        Owned = false;
    }

    // The address of [offset, offset + length) after the ownership and bounds checks.
    private ulong At(ulong offset, ulong length)
    {
        ulong address = Get();
        if (offset > Size || length > Size - offset)
            throw new ArgumentOutOfRangeException(nameof(offset), string.Create(CultureInfo.InvariantCulture, $"[{offset}, +{length}) is outside shmem segment {Id} of {Size} bytes"));
        return address + offset;
    }
}
