using System.Buffers.Binary;

namespace MicroKernel.Userland.Services.Portals;

/// <summary>Reads one link message that <see cref="MessageWriter"/> built, field by field.</summary>
internal sealed class MessageReader
{
    private readonly byte[] _message;
    private int _at = 16;

    /// <summary>Opens <paramref name="message"/> (a whole message, header included).</summary>
    public MessageReader(byte[] message)
    {
        if (message.Length < 16) throw new InvalidDataException("portals: a message shorter than its header");
        _message = message;
        Kind = (MessageKind)BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(4));
        Key = BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(8));
    }

    /// <summary>The whole message, as read from the link.</summary>
    public byte[] Message => _message;

    /// <summary>The message's kind.</summary>
    public MessageKind Kind { get; }

    /// <summary>The receiver's key of the hop it travels on (0: a node-level message).</summary>
    public ulong Key { get; }

    /// <summary>The next 64-bit value.</summary>
    public ulong U64()
    {
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_message.AsSpan(_at));
        _at += 8;
        return v;
    }

    /// <summary>The next 64-bit signed value.</summary>
    public long I64() => (long)U64();

    /// <summary>The next length-prefixed run of bytes.</summary>
    public byte[] Bytes()
    {
        int n = checked((int)U64());
        byte[] bytes = _message.AsSpan(_at, n).ToArray();
        _at += n;
        return bytes;
    }
}
