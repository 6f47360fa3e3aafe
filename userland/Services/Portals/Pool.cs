using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// The shared-memory pool of one pair of nodes, laid out in simulated memory that both map (docs/portals.md#the-pool):
/// a 128-byte header, then two byte rings, ring d written only by side d and read only by the other side. Each ring
/// is single-writer single-reader, so a counter pair (head: bytes consumed, tail: bytes produced, both only growing)
/// is all the synchronisation it needs: one thread runs at a time and a store is seen by the next load. Every field
/// two nodes share lives here; this class holds only the pool's address and which side this node is.
/// </summary>
internal sealed class Pool
{
    /// <summary>"PTRLPOOL" little-endian: the first word of a pool.</summary>
    public const ulong Magic = 0x4C4F4F504C525450;

    private const ulong MagicOffset = 0, Side0PidOffset = 8, Side1PidOffset = 16, CapacityOffset = 24;
    private const ulong WaitingOffset = 32; // + 8 * side: "wake me": set by a node before it blocks
    private const ulong HeadOffset = 48, TailOffset = 56; // + 16 * ring
    /// <summary>Bytes of the header; the rings follow.</summary>
    public const ulong HeaderSize = 128;

    private readonly ulong _address;

    private Pool(ulong address, int side, ulong capacity)
    {
        _address = address;
        Side = side;
        Capacity = capacity;
    }

    /// <summary>This node's side: 0 for the lower pid of the pair.</summary>
    public int Side { get; }

    /// <summary>Bytes of each ring.</summary>
    public ulong Capacity { get; }

    /// <summary>Bytes of a pool.</summary>
    public static ulong Size => PortalsProtocol.PoolPages * 4096;

    /// <summary>Writes a fresh header for the pair (<paramref name="lowPid"/>, <paramref name="highPid"/>) into zeroed memory.</summary>
    public static void Format(UserMemory m, ulong address, int lowPid, int highPid)
    {
        m.WriteUInt64(address + Side0PidOffset, (ulong)lowPid);
        m.WriteUInt64(address + Side1PidOffset, (ulong)highPid);
        m.WriteUInt64(address + CapacityOffset, (Size - HeaderSize) / 2 & ~7UL);
        m.WriteUInt64(address + MagicOffset, Magic);
    }

    /// <summary>
    /// The pool at <paramref name="address"/> as node <paramref name="selfPid"/> sees it, or null when the header is
    /// not a pool of a pair that holds this node.
    /// </summary>
    public static Pool? Open(UserMemory m, ulong address, int selfPid, out int peerPid)
    {
        peerPid = 0;
        if (m.ReadUInt64(address + MagicOffset) != Magic) return null;
        int low = (int)m.ReadUInt64(address + Side0PidOffset), high = (int)m.ReadUInt64(address + Side1PidOffset);
        ulong capacity = m.ReadUInt64(address + CapacityOffset);
        if (capacity != ((Size - HeaderSize) / 2 & ~7UL) || low >= high) return null;
        if (selfPid == low) peerPid = high;
        else if (selfPid == high) peerPid = low;
        else return null;
        return new Pool(address, selfPid == low ? 0 : 1, capacity);
    }

    private ulong Ring(int ring) => _address + HeaderSize + (ulong)ring * Capacity;

    /// <summary>
    /// Copies <paramref name="message"/> into this side's ring (after a padding record if it would wrap); false when
    /// the ring has no room: the caller holds the message back (back-pressure).
    /// </summary>
    public bool TryWrite(UserMemory m, byte[] message)
    {
        ulong need = Align((ulong)message.Length);
        ulong head = m.ReadUInt64(_address + HeadOffset + 16 * (ulong)Side);
        ulong tail = m.ReadUInt64(_address + TailOffset + 16 * (ulong)Side);
        ulong pos = tail % Capacity, toEnd = Capacity - pos;
        ulong total = need <= toEnd ? need : toEnd + need;
        if (Capacity - (tail - head) < total) return false;
        if (need > toEnd)
        {
            m.WriteUInt64(Ring(Side) + pos, toEnd | (ulong)MessageKind.Pad << 32);
            tail += toEnd;
            pos = 0;
        }
        m.Write(Ring(Side) + pos, message);
        m.WriteUInt64(_address + TailOffset + 16 * (ulong)Side, tail + need);
        return true;
    }

    /// <summary>The next message of the peer's ring, or null when it is empty; its room is free again at once.</summary>
    public byte[]? TryRead(UserMemory m)
    {
        int ring = 1 - Side;
        ulong headAt = _address + HeadOffset + 16 * (ulong)ring;
        while (true)
        {
            ulong head = m.ReadUInt64(headAt);
            ulong tail = m.ReadUInt64(_address + TailOffset + 16 * (ulong)ring);
            if (head == tail) return null;
            ulong pos = head % Capacity;
            ulong word = m.ReadUInt64(Ring(ring) + pos);
            ulong length = (uint)word;
            if (length < 8 || Align(length) > tail - head || pos + Align(length) > Capacity)
                throw new InvalidDataException(string.Create(CultureInfo.InvariantCulture, $"portals: a corrupt record of {length} bytes in the pool's ring {ring}"));
            if ((MessageKind)(word >> 32) == MessageKind.Pad)
            {
                m.WriteUInt64(headAt, head + length);
                continue;
            }
            byte[] message = m.ReadBytes(Ring(ring) + pos, (int)length);
            m.WriteUInt64(headAt, head + Align(length));
            return message;
        }
    }

    /// <summary>Bytes the peer wrote that this node has not read yet.</summary>
    public ulong Unread(UserMemory m) =>
        m.ReadUInt64(_address + TailOffset + 16 * (ulong)(1 - Side)) - m.ReadUInt64(_address + HeadOffset + 16 * (ulong)(1 - Side));

    /// <summary>Says (before blocking) or unsays that this node wants a signal when something happens on this pool.</summary>
    public void SetWaiting(UserMemory m, bool waiting) => m.WriteUInt64(_address + WaitingOffset + 8 * (ulong)Side, waiting ? 1UL : 0);

    /// <summary>True (and the flag cleared) when the peer said it waits: the caller must then signal it.</summary>
    public bool TakePeerWaiting(UserMemory m)
    {
        ulong at = _address + WaitingOffset + 8 * (ulong)(1 - Side);
        if (m.ReadUInt64(at) == 0) return false;
        m.WriteUInt64(at, 0);
        return true;
    }

    private static ulong Align(ulong n) => (n + 7) & ~7UL;

    /// <summary>The pool's address in this process.</summary>
    public ulong Address => _address;
}
