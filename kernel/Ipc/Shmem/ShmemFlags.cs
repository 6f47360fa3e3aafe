namespace MicroKernel.Ipc.Shmem;

/// <summary>The flags of shm_create. Every other bit is reserved (InvalidArgument).</summary>
[Flags]
public enum ShmemFlags : ulong
{
    /// <summary>An owned segment: only its owner may touch it, the peer faults.</summary>
    None = 0,
    /// <summary>Bit 0: an "unsafe" segment, read/write for both processes always (data races allowed).</summary>
    Unsafe = 1 << 0,
    /// <summary>
    /// Bit 1, with bit 0 only: the segment survives its peer. When one process of the pair exits, the segment is
    /// unmapped from that process alone and stays mapped (read/write) in the survivor, which may still read what the
    /// dead peer wrote; its frames are freed when the survivor closes the connection (shm_close) or exits. Made for a
    /// pool both sides write (docs/portals.md): without it the survivor's mapping vanishes under it and its next load
    /// faults.
    /// </summary>
    Survives = 1 << 1,
}

/// <summary>
/// What a segment handler learns in its fifth argument besides the sender: bits 0-31 the sender's pid, bit 32 a call
/// (the handler's result is the reply and the segment goes back when it returns), bit 33 an unsafe segment.
/// </summary>
public static class ShmemUpcall
{
    /// <summary>Bit 32 of the fifth argument: the segment came with shm_call.</summary>
    public const ulong CallBit = 1UL << 32;

    /// <summary>Bit 33 of the fifth argument: the segment is unsafe (both sides may touch it always).</summary>
    public const ulong UnsafeBit = 1UL << 33;

    /// <summary>The fifth handler argument for a segment from <paramref name="senderPid"/>.</summary>
    public static ulong Pack(int senderPid, bool call, bool @unsafe) =>
        (uint)senderPid | (call ? CallBit : 0) | (@unsafe ? UnsafeBit : 0);
}
