namespace MicroKernel.Sim.Tracing;

/// <summary>Constants of the binary trace format (docs/trace-format.md describes every byte).</summary>
internal static class TraceFormat
{
    /// <summary>The version this build writes and reads. Bump it on any change to the byte layout.</summary>
    /// <remarks>2: self-contained blocks (first sequence number in the block header; tick, strings and open syscalls
    /// restart in each block), optional block compression, the block index in the trailer and the footer.</remarks>
    public const int Version = 3;

    /// <summary>
    /// The oldest version this build reads. Not 2, though 3 only adds syscall records: a byte flipped from 3 to 2 would
    /// then go unnoticed.
    /// </summary>
    /// <remarks>3: syscall records (<see cref="SyscallRecordKind"/>, <see cref="SyscallAgainKind"/>).</remarks>
    public const int OldestReadable = 3;

    /// <summary>
    /// Record kind of a completed syscall: its entry and exit events in one record (version 3). A record's first byte
    /// is an <see cref="MicroKernel.Tracing.EventKind"/> for a single event, or one of these two.
    /// </summary>
    public const byte SyscallRecordKind = 0xF0;

    /// <summary>
    /// Record kind of a completed syscall equal to the previous syscall record of its block in everything but time:
    /// only the tick delta follows (a loop of null syscalls costs two bytes a call).
    /// </summary>
    public const byte SyscallAgainKind = 0xF1;

    /// <summary>"MKTRACE" and 0x1A: the first eight bytes of every trace (0x1A stops a text-mode type command).</summary>
    public static ReadOnlySpan<byte> Magic => "MKTRACE\x1A"u8;

    /// <summary>Tag of an event block.</summary>
    public const byte BlockTag = (byte)'B';

    /// <summary>Tag of the trailer (the run's outcome and the block index), the last record of a complete trace.</summary>
    public const byte TrailerTag = (byte)'E';

    /// <summary>A block's fixed part: tag, codec, stored length, raw length, event count, first sequence number.</summary>
    public const int BlockHeaderSize = 1 + 1 + 4 + 4 + 4 + 8;

    /// <summary>The footer that ends the file: the trailer's offset (u64) and these four bytes.</summary>
    public static ReadOnlySpan<byte> FooterMagic => "MKIX"u8;

    /// <summary>Bytes of the footer.</summary>
    public const int FooterSize = 8 + 4;

    /// <summary>The smallest complete file: magic, version, header length, an empty header, its CRC, the smallest
    /// trailer (tag, length, four one-byte varints and a zero block count, CRC) and the footer.</summary>
    public const int MinFileSize = 14 + 4 + 1 + 4 + 5 + 4 + FooterSize;

    /// <summary>A block is flushed once its payload reaches this size.</summary>
    public const int BlockTarget = 32 * 1024;

    /// <summary>Largest block payload a reader accepts (a damaged length field cannot make it allocate gigabytes).</summary>
    public const int MaxBlockPayload = 16 * 1024 * 1024;

    /// <summary>Largest JSON header a reader accepts.</summary>
    public const int MaxHeader = 16 * 1024 * 1024;

    /// <summary>Default bound on the bytes a syscall read that are stored (above it, a digest only).</summary>
    public const int DefaultMaxStoredReadBytes = 64 * 1024;

    /// <summary>Strings up to this length are interned: a switch reason costs one byte after its first use.</summary>
    public const int MaxInternedLength = 64;

    // Presence bits of an event record: a field is stored only when it is not zero (or, for Text, not null).
    public const int HasCode = 1 << 0;
    public const int HasA0 = 1 << 1;
    public const int HasResult = 1 << 7;
    public const int HasText = 1 << 8;
    public const int HasInstructions = 1 << 9;
    public const int HasIo = 1 << 10;

    /// <summary>A syscall exit whose number and arguments equal those of its entry: they are not stored again.</summary>
    public const int SameCallAsEnter = 1 << 11;

    /// <summary>Bits a reader knows.</summary>
    public const int KnownBits = (1 << 12) - 1;

    // Flags of an I/O segment.
    public const byte SegmentWritten = 1;
    public const byte SegmentBytesStored = 2;
}
