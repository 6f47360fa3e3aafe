using Iced.Intel;

namespace MicroKernel.X86;

/// <summary>
/// A <see cref="CodeReader"/> over a byte array whose window can be moved, so one Iced decoder is reused for
/// every instruction instead of allocating a decoder per decode.
/// </summary>
internal sealed class CodeBufferReader : CodeReader
{
    private byte[] _buffer = [];
    private int _position;
    private int _end;

    /// <summary>Points the reader at buffer[position..end).</summary>
    public void Reset(byte[] buffer, int position, int end)
    {
        _buffer = buffer;
        _position = position;
        _end = end;
    }

    /// <inheritdoc />
    public override int ReadByte() => _position < _end ? _buffer[_position++] : -1;
}
