namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// The multicast block: one packet to several outputs, by reference. Each output that takes it holds one
/// reference; the packet goes back to its pool when every output released it. An output that refuses (full queue,
/// dead boundary) is counted as a drop for that output only: the others are not held up.
/// </summary>
public sealed class Multicast : IPacketSink
{
    private readonly IPacketSink[] _outputs;
    private readonly long[] _delivered, _dropped;

    /// <summary>A multicast to <paramref name="outputs"/> (at least one).</summary>
    public Multicast(params IPacketSink[] outputs)
    {
        if (outputs.Length == 0) throw new ArgumentException("a multicast needs at least one output", nameof(outputs));
        _outputs = outputs;
        _delivered = new long[outputs.Length];
        _dropped = new long[outputs.Length];
    }

    /// <summary>Packets output <paramref name="output"/> took.</summary>
    public long Delivered(int output) => _delivered[output];

    /// <summary>Packets output <paramref name="output"/> refused.</summary>
    public long Dropped(int output) => _dropped[output];

    /// <summary>Takes the caller's reference and gives one to each output; always true.</summary>
    public bool Push(Packet packet)
    {
        for (int i = 0; i < _outputs.Length; i++)
        {
            packet.AddReference();
            if (_outputs[i].Push(packet))
            {
                _delivered[i]++;
                continue;
            }
            packet.Release();
            _dropped[i]++;
        }
        packet.Release(); // the caller's reference
        return true;
    }
}
