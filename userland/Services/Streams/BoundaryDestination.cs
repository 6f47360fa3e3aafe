using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The IPC destination of a memory boundary, in the consumer's process: its segment handler copies each payload
/// that arrives into a fresh packet of this side's own pool, pushes it to this side's sink and gives the segment
/// straight back to the source. Sync objects stay on this side: <see cref="Create"/> makes a private notification
/// that the handler signals and the consumer waits on (<see cref="WaitForPackets"/>); nothing of it crosses. A full
/// pool or sink drops the payload here, never upstream.
/// </summary>
public sealed class BoundaryDestination
{
    private readonly PacketPool _pool;
    private readonly IPacketSink _sink;
    private readonly byte[] _scratch;
    private Notification? _arrived;
    private int _endSegment;

    /// <summary>A destination that fills <paramref name="pool"/> and pushes to <paramref name="sink"/>.</summary>
    public BoundaryDestination(string name, PacketPool pool, IPacketSink sink)
    {
        Name = name;
        _pool = pool;
        _sink = sink;
        _scratch = new byte[pool.Layout.BufferSize];
    }

    /// <summary>
    /// The destination of a boundary with the source's process <paramref name="sourcePid"/>, as the streams use it:
    /// its pool of <paramref name="packets"/> packets lives in an owned segment of this process on the connection
    /// with the source (the source maps it with no access: it can never write what this side's consumer reads), and
    /// its own notification wakes the consumer. Binds nothing: the caller binds its segment handler to
    /// <see cref="OnSegment"/> before it tells the source it is ready.
    /// </summary>
    public static BoundaryDestination Create(Sys sys, string name, int sourcePid, PacketLayout layout, int packets, IPacketSink sink)
    {
        int connection = sys.ShmConnect(sourcePid);
        var pool = PacketPool.CreateInSegment(sys, name, layout, packets, connection);
        return new BoundaryDestination(name, pool, sink) { _arrived = Notification.Create(sys) };
    }

    /// <summary>The boundary's name.</summary>
    public string Name { get; }

    /// <summary>This side's own pool.</summary>
    public PacketPool Pool => _pool;

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

    /// <summary>
    /// The segment handler's work for one message (run on the consumer's thread); returns 0. A payload's segment goes
    /// back at once; the end marker's is kept until <see cref="Finish"/>, so the source (whose exit would tear this
    /// side's pool down with the connection) waits until the consumer is done.
    /// </summary>
    public long OnSegment(Sys sys, in SegmentMessage message)
    {
        if (message.Type == BoundaryProtocol.End)
        {
            Ended = true;
            _endSegment = message.Segment;
        }
        else if (message.Type == BoundaryProtocol.Deliver)
        {
            Copy(sys, message);
            sys.Syscall(SyscallNumber.ShmSend, (ulong)message.Segment, BoundaryProtocol.Return); // the source may be gone: nothing to do then
        }
        else return 0;
        if (_arrived is not null) sys.Syscall(SyscallNumber.Notify, (ulong)_arrived.Handle, 1); // this side's own sync object
        return 0;
    }

    /// <summary>
    /// Waits on this side's notification until a payload or the end arrived (true), or <paramref name="timeout"/>
    /// ticks passed (false). Only for a destination made by <see cref="Create"/>.
    /// </summary>
    public bool WaitForPackets(long timeout) =>
        (_arrived ?? throw new InvalidOperationException($"boundary {Name}: no notification (made without Create)")).Wait(timeout);

    /// <summary>Gives the end marker's segment back once the consumer is done with this side's packets; true if it went.</summary>
    public bool Finish(Sys sys)
    {
        if (_endSegment == 0) return false;
        long r = sys.Syscall(SyscallNumber.ShmSend, (ulong)_endSegment, BoundaryProtocol.Return);
        _endSegment = 0;
        return r >= 0;
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
