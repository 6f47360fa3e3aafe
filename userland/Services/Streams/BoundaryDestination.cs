using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The IPC destination of a memory boundary, in the consumer's process: its segment handler copies each payload
/// that arrives into a fresh packet of this side's own pool, pushes it to this side's sink and gives the segment
/// straight back to the source. Sync objects stay on this side (the handler wakes the consumer's pause); a full
/// pool or sink drops the payload here, never upstream.
/// </summary>
public sealed class BoundaryDestination
{
    private readonly PacketPool _pool;
    private readonly IPacketSink _sink;
    private readonly byte[] _scratch;

    /// <summary>A destination that fills <paramref name="pool"/> and pushes to <paramref name="sink"/>.</summary>
    public BoundaryDestination(string name, PacketPool pool, IPacketSink sink)
    {
        Name = name;
        _pool = pool;
        _sink = sink;
        _scratch = new byte[pool.Layout.BufferSize];
    }

    /// <summary>The boundary's name.</summary>
    public string Name { get; }

    /// <summary>Payloads copied into this side's packets and pushed.</summary>
    public long Received { get; private set; }

    /// <summary>Payloads dropped here (this side's pool or sink was full).</summary>
    public long Dropped { get; private set; }

    /// <summary>True once the source's end marker arrived.</summary>
    public bool Ended { get; private set; }

    /// <summary>The attributes this side exports to the source: the pool's sizes, the copy's access, no sync.</summary>
    public ElementAttributes Exported =>
        new ElementAttributes(Name, _pool.Layout.BufferSize, _pool.Layout.BufferSize, _pool.Layout.Alignment, _pool.Layout.Access, _pool.Layout.Sync)
            .ExportAcrossBoundary(Name);

    /// <summary>The segment handler's work for one message (run on the consumer's thread); returns 0.</summary>
    public long OnSegment(Sys sys, in SegmentMessage message)
    {
        if (message.Type == BoundaryProtocol.End) Ended = true;
        else if (message.Type == BoundaryProtocol.Deliver) Copy(sys, message);
        else return 0;
        sys.Syscall(SyscallNumber.ShmSend, (ulong)message.Segment, BoundaryProtocol.Return); // the source may be gone: nothing to do then
        return 0;
    }

    private void Copy(Sys sys, in SegmentMessage message)
    {
        if (!_pool.TryAcquire(out Packet packet))
        {
            Dropped++;
            return;
        }
        ulong length = Math.Min(sys.Memory.ReadUInt64(message.Address + 8), _pool.Layout.BufferSize);
        Span<byte> bytes = _scratch.AsSpan(0, (int)length);
        sys.Memory.Read(message.Address + BoundaryProtocol.HeaderSize, bytes);
        sys.Memory.Write(packet.Address, bytes);
        packet.Sequence = sys.Memory.ReadUInt64(message.Address);
        packet.Length = length;
        if (_sink.Push(packet))
        {
            Received++;
            return;
        }
        packet.Release();
        Dropped++;
    }
}
