using System.Buffers.Binary;

namespace MicroKernel.Userland.Services.Portals;

/// <summary>
/// Builds one link message in host memory before it is copied into a ring with one store: a 16-byte header
/// (u32 length, u32 kind, u64 key of the hop it travels on) and little-endian fields.
/// </summary>
internal sealed class MessageWriter
{
    private byte[] _buffer = new byte[64];
    private int _length;

    /// <summary>Starts a message of <paramref name="kind"/> for the hop registered under <paramref name="key"/> at the receiver.</summary>
    public MessageWriter(MessageKind kind, ulong key)
    {
        _length = 16;
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer.AsSpan(4), (uint)kind);
        BinaryPrimitives.WriteUInt64LittleEndian(_buffer.AsSpan(8), key);
    }

    /// <summary>Appends a 64-bit value.</summary>
    public MessageWriter U64(ulong value)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(Room(8), value);
        return this;
    }

    /// <summary>Appends a 64-bit signed value.</summary>
    public MessageWriter I64(long value) => U64((ulong)value);

    /// <summary>Appends a length-prefixed run of bytes.</summary>
    public MessageWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        U64((ulong)bytes.Length);
        bytes.CopyTo(Room(bytes.Length));
        return this;
    }

    /// <summary>The finished message, its length written into the header.</summary>
    public byte[] ToArray()
    {
        BinaryPrimitives.WriteUInt32LittleEndian(_buffer, (uint)_length);
        return _buffer.AsSpan(0, _length).ToArray();
    }

    private Span<byte> Room(int n)
    {
        if (_length + n > _buffer.Length) Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + n));
        Span<byte> span = _buffer.AsSpan(_length, n);
        _length += n;
        return span;
    }
}
