using System.Collections;

namespace MicroKernel.Tracing;

/// <summary>
/// The user memory one syscall read and wrote, in order: each thread keeps one and empties it at every syscall entry
/// while the kernel traces, so recording a syscall's I/O copies bytes into a buffer that already exists instead of
/// allocating a list and an array per copy. Events hand it to sinks as <see cref="KernelEvent.Io"/>.
/// </summary>
internal sealed class UserIoRecord : IReadOnlyList<UserIo>
{
    private UserIo[] _segments = new UserIo[4];
    private byte[] _bytes = new byte[256];
    private int _count;
    private int _used;

    /// <inheritdoc />
    public int Count => _count;

    /// <inheritdoc />
    public UserIo this[int index] => (uint)index < (uint)_count ? _segments[index] : throw new ArgumentOutOfRangeException(nameof(index));

    /// <summary>Empties the record for the next syscall (its buffers stay).</summary>
    public void Clear()
    {
        _count = 0;
        _used = 0;
    }

    /// <summary>Appends one copy between the syscall and user memory.</summary>
    public void Add(ulong address, ReadOnlySpan<byte> bytes, bool written)
    {
        // A full buffer is replaced, not resized in place: segments already added keep pointing at the old one.
        if (_used + bytes.Length > _bytes.Length)
        {
            _bytes = new byte[Math.Max(_bytes.Length * 2, bytes.Length)];
            _used = 0;
        }
        bytes.CopyTo(_bytes.AsSpan(_used));
        if (_count == _segments.Length) Array.Resize(ref _segments, _count * 2);
        _segments[_count++] = new UserIo(address, _bytes.AsMemory(_used, bytes.Length), written);
        _used += bytes.Length;
    }

    /// <inheritdoc />
    public IEnumerator<UserIo> GetEnumerator()
    {
        for (int i = 0; i < _count; i++) yield return _segments[i];
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
