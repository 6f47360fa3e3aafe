using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace MicroKernel.Hardware;

/// <summary>
/// The machine's RAM: <see cref="FrameCount"/> frames of 4 KiB in one byte array, addressed physically.
/// Page tables live here too, so a student can dump the very bytes the MMU walks.
/// </summary>
public sealed class PhysicalMemory
{
    /// <summary>Bytes per frame (and per page).</summary>
    public const int FrameSize = 4096;

    /// <summary>log2 of <see cref="FrameSize"/>.</summary>
    public const int FrameShift = 12;

    /// <summary>The most frames one machine can have: RAM is one managed array of at most Array.MaxLength bytes.</summary>
    public static readonly int MaxFrames = Array.MaxLength / FrameSize;

    private readonly byte[] _bytes;

    // Bumped on every write to a frame: lets a decoded-instruction cache notice self-modifying code and reuse.
    private readonly uint[] _writeGeneration;

    /// <summary>Creates zeroed RAM of <paramref name="frameCount"/> frames.</summary>
    public PhysicalMemory(int frameCount)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(frameCount, 16);
        // One managed array holds the RAM: at most Array.MaxLength bytes (just under 2 GiB, 524287 frames).
        ArgumentOutOfRangeException.ThrowIfGreaterThan(frameCount, MaxFrames);
        FrameCount = frameCount;
        _bytes = new byte[(long)frameCount * FrameSize];
        _writeGeneration = new uint[frameCount];
    }

    /// <summary>Number of 4 KiB frames.</summary>
    public int FrameCount { get; }

    /// <summary>
    /// What changed since the kernel last checked its invariants: shared by every model built on this RAM (frame
    /// allocator, page tables, MMU and TLB), which mark what they change.
    /// </summary>
    public Invariants.StateChanges Changes { get; } = new();

    /// <summary>Total bytes of RAM.</summary>
    public ulong Size => (ulong)_bytes.LongLength;

    /// <summary>The bytes of one frame.</summary>
    public Span<byte> Frame(ulong frame) => _bytes.AsSpan(checked((int)(frame << FrameShift)), FrameSize);

    /// <summary>
    /// <paramref name="length"/> bytes at physical address <paramref name="address"/>; bumps the write
    /// generation of the frames touched when <paramref name="forWrite"/> is set.
    /// </summary>
    public Span<byte> Slice(ulong address, int length, bool forWrite)
    {
        if (forWrite) NoteWrite(address, length);
        return _bytes.AsSpan(checked((int)address), length);
    }

    /// <summary>Reads a little-endian 64-bit value (page-table entries and user data).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public ulong ReadUInt64(ulong address)
    {
        // One bounds check, then a raw load: this is the hot end of every user load (x86-64 hosts are little-endian).
        if (address > (ulong)_bytes.LongLength - 8) ThrowOutOfRange(address);
        ulong value = Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_bytes), (nint)address));
        return BitConverter.IsLittleEndian ? value : BinaryPrimitives.ReverseEndianness(value);
    }

    /// <summary>Writes a little-endian 64-bit value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void WriteUInt64(ulong address, ulong value)
    {
        if (address > (ulong)_bytes.LongLength - 8) ThrowOutOfRange(address);
        _writeGeneration[address >> FrameShift]++;
        if (!BitConverter.IsLittleEndian) value = BinaryPrimitives.ReverseEndianness(value);
        Unsafe.WriteUnaligned(ref Unsafe.Add(ref MemoryMarshal.GetArrayDataReference(_bytes), (nint)address), value);
    }

    private static void ThrowOutOfRange(ulong address) =>
        throw new ArgumentOutOfRangeException(nameof(address), $"physical address 0x{address:x} is beyond RAM");

    /// <summary>Fills a frame with zeros (a fresh frame never shows its previous owner's data).</summary>
    public void ZeroFrame(ulong frame)
    {
        _writeGeneration[frame]++;
        Frame(frame).Clear();
    }

    /// <summary>Copies one whole frame to another.</summary>
    public void CopyFrame(ulong from, ulong to)
    {
        _writeGeneration[to]++;
        Frame(from).CopyTo(Frame(to));
    }

    /// <summary>How many times <paramref name="frame"/> has been written; changes on every write.</summary>
    public uint WriteGeneration(ulong frame) => _writeGeneration[frame];

    /// <summary>The RAM and the write generations, for the x86 translator's inlined TLB-hit path (which does what Slice does).</summary>
    internal byte[] Bytes => _bytes;

    internal uint[] WriteGenerations => _writeGeneration;

    private void NoteWrite(ulong address, int length)
    {
        if (length <= 0) return;
        ulong first = address >> FrameShift, last = (address + (ulong)length - 1) >> FrameShift;
        for (ulong f = first; f <= last; f++) _writeGeneration[f]++;
    }
}
