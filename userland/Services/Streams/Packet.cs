namespace MicroKernel.Userland.Services.Streams;

/// <summary>
/// A packet descriptor: which buffer of its pool it stands for, how many bytes of payload it carries, its sequence
/// number, and how many blocks still hold it. Descriptors come from an object pool (no allocation per packet); the
/// buffer stays in the pool's memory and is passed by reference inside one memory domain.
/// </summary>
public sealed class Packet
{
    /// <summary>The pool it belongs to (set when it is handed out).</summary>
    public PacketPool? Pool { get; internal set; }

    /// <summary>The buffer's index in its pool.</summary>
    public int Index { get; internal set; }

    /// <summary>The buffer's address in the pool's process.</summary>
    public ulong Address { get; internal set; }

    /// <summary>Bytes of payload (at most the layout's buffer size).</summary>
    public ulong Length { get; set; }

    /// <summary>The producer's sequence number (frame number).</summary>
    public ulong Sequence { get; set; }

    /// <summary>How many blocks hold it; the last <see cref="Release"/> gives it back to the pool.</summary>
    public int References { get; private set; }

    /// <summary>One more holder (a multicast output).</summary>
    public void AddReference()
    {
        if (References <= 0) throw new InvalidOperationException($"packet {Index} is not held by anyone: it is back in its pool");
        References++;
    }

    /// <summary>This holder is done; the last one sends the packet back to its pool.</summary>
    public void Release()
    {
        if (References <= 0) throw new InvalidOperationException($"packet {Index} released twice");
        if (--References == 0) Pool!.Return(this);
    }

    // The pool hands it out with one reference (the producer's).
    internal void Hand(PacketPool pool, int index, ulong address)
    {
        Pool = pool;
        Index = index;
        Address = address;
        Length = 0;
        Sequence = 0;
        References = 1;
    }
}
