using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The IPC source of a memory boundary, in the producer's process: a sink that copies each payload into one of its
/// own transfer segments (owned shared memory on the connection with the destination's process), gives the segment
/// to the destination (<c>shm_send</c>: this process loses access) and releases the source packet at once, without
/// waiting for the consumer. The destination gives the segment back when it copied the payload out.
/// Isolation: when no segment is home (the consumer stalls) or the peer is gone (it crashed or was killed) the
/// packet is refused for this output only (the multicast counts a drop) and the producer goes on; the consumer only
/// ever maps its transfer segments and its own pool, never the buffers the other consumers read.
/// Sync objects stay on this side: a private notification, signalled by the segment handler when a segment comes
/// home, is what <see cref="WaitHome"/> waits on.
/// </summary>
public sealed class BoundarySource : IPacketSink
{
    private readonly Sys _sys;
    private readonly int[] _segments;
    private readonly ulong[] _addresses;
    private readonly Queue<int> _home;
    private readonly byte[] _scratch;
    private readonly Notification _homeSignal;

    private BoundarySource(Sys sys, string name, int peer, PacketLayout layout, int[] segments, ulong[] addresses)
    {
        _sys = sys;
        _homeSignal = Notification.Create(sys);
        Name = name;
        Peer = peer;
        Layout = layout;
        _segments = segments;
        _addresses = addresses;
        _home = new Queue<int>(segments.Length);
        for (int i = 0; i < segments.Length; i++) _home.Enqueue(i);
        _scratch = new byte[layout.BufferSize];
    }

    /// <summary>
    /// Connects to the destination's process <paramref name="peer"/> (which must have bound its segment handler)
    /// and makes <paramref name="transfers"/> segments sized for <paramref name="layout"/> (the attributes the
    /// destination exported across the boundary, reconciled on this side).
    /// </summary>
    public static BoundarySource Connect(Sys sys, string name, int peer, PacketLayout layout, int transfers)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(transfers, 1);
        int connection = sys.ShmConnect(peer);
        var segments = new int[transfers];
        var addresses = new ulong[transfers];
        for (int i = 0; i < transfers; i++)
        {
            segments[i] = sys.ShmCreate(connection, BoundaryProtocol.HeaderSize + layout.BufferSize, Ipc.Shmem.ShmemFlags.None);
            addresses[i] = sys.ShmAddress(segments[i]);
        }
        return new BoundarySource(sys, name, peer, layout, segments, addresses);
    }

    /// <summary>The boundary's name (in accounts).</summary>
    public string Name { get; }

    /// <summary>The destination's pid.</summary>
    public int Peer { get; }

    /// <summary>The layout of the transfer segments.</summary>
    public PacketLayout Layout { get; }

    /// <summary>True once the peer is gone (its exit tore the segments down); nothing is sent any more.</summary>
    public bool PeerGone { get; private set; }

    /// <summary>Payloads copied and sent.</summary>
    public long Sent { get; private set; }

    /// <summary>Segments away at the destination now.</summary>
    public int Away => PeerGone ? 0 : _segments.Length - _home.Count;

    /// <summary>True when the end marker went out.</summary>
    public bool Ended { get; private set; }

    /// <inheritdoc />
    public bool Push(Packet packet)
    {
        if (!TakeHome(out int i)) return false;
        ulong length = Math.Min(packet.Length, Layout.BufferSize);
        Span<byte> bytes = _scratch.AsSpan(0, (int)length);
        _sys.Memory.Read(packet.Address, bytes);
        _sys.Memory.WriteUInt64(_addresses[i], packet.Sequence);
        _sys.Memory.WriteUInt64(_addresses[i] + 8, length);
        _sys.Memory.Write(_addresses[i] + BoundaryProtocol.HeaderSize, bytes);
        if (!Give(i, BoundaryProtocol.Deliver)) return false;
        Sent++;
        packet.Release(); // back upstream at once: the destination has its own copy
        return true;
    }

    /// <summary>Sends the end marker when a segment is home and the peer lives; true when it went out.</summary>
    public bool TryEnd()
    {
        if (Ended) return true;
        if (!TakeHome(out int i)) return false;
        if (!Give(i, BoundaryProtocol.End)) return false;
        Ended = true;
        return true;
    }

    /// <summary>
    /// Part of the process's segment handler: takes back a segment of this boundary that the destination returned;
    /// false when the segment is not one of this boundary's.
    /// </summary>
    public bool OnSegment(in SegmentMessage message)
    {
        for (int i = 0; i < _segments.Length; i++)
        {
            if (_segments[i] != message.Segment) continue;
            if (message.Type != BoundaryProtocol.Return) return true;
            _home.Enqueue(i);
            _sys.Syscall(SyscallNumber.Notify, (ulong)_homeSignal.Handle, 1); // this side's own sync object
            return true;
        }
        return false;
    }

    /// <summary>
    /// Waits on this side's notification until nothing is left at the peer (true: every segment is home, or the peer
    /// exited after it got the end marker, taking the segments with its connection), or the peer is gone before the
    /// end, or <paramref name="timeout"/> ticks passed without a segment coming home (false): a stalled or dead
    /// consumer is never waited for longer than that.
    /// </summary>
    public bool WaitHome(long timeout)
    {
        while (Away > 0)
        {
            if (PeerIsGone()) return Ended;
            if (!_homeSignal.Wait(timeout)) return Away == 0;
        }
        return true;
    }

    // The peer's exit tore every segment down: shm_address of one that is away fails.
    private bool PeerIsGone()
    {
        for (int i = 0; i < _segments.Length && !PeerGone; i++)
            if (!_home.Contains(i) && _sys.Syscall(SyscallNumber.ShmAddress, (ulong)_segments[i]) < 0) PeerGone = true;
        return PeerGone;
    }

    // A segment that is home and still exists (the peer's exit tears them all down: then the peer is gone).
    private bool TakeHome(out int index)
    {
        index = -1;
        if (PeerGone || _home.Count == 0) return false;
        index = _home.Peek();
        if (_sys.Syscall(SyscallNumber.ShmAddress, (ulong)_segments[index]) < 0)
        {
            PeerGone = true;
            return false;
        }
        _home.Dequeue();
        return true;
    }

    // shm_send; a full queue keeps the segment home, any other error means the peer is gone.
    private bool Give(int index, ulong type)
    {
        long r = _sys.Syscall(SyscallNumber.ShmSend, (ulong)_segments[index], type);
        if (r >= 0) return true;
        if (r == (long)ErrorCode.QueueFull) _home.Enqueue(index);
        else PeerGone = true;
        return false;
    }
}
