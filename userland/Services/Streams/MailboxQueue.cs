namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The mailbox queue block: only the newest packet; a push releases the one it replaces, which goes back to its
/// pool at once (a display that only wants the latest frame).
/// </summary>
public sealed class MailboxQueue : IPacketSink
{
    private Packet? _newest;

    /// <summary>Packets replaced before anyone took them.</summary>
    public long Replaced { get; private set; }

    /// <summary>True when a packet waits.</summary>
    public bool HasPacket => _newest is not null;

    /// <inheritdoc />
    public bool Push(Packet packet)
    {
        if (_newest is not null)
        {
            _newest.Release();
            Replaced++;
        }
        _newest = packet;
        return true;
    }

    /// <summary>The newest packet (the consumer now holds its reference), or false when empty.</summary>
    public bool TryTake(out Packet packet)
    {
        packet = _newest!;
        _newest = null;
        return packet is not null;
    }
}
