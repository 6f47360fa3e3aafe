namespace MicroKernel.Ipc.PageSend;

/// <summary>
/// The flags of send(). Bits 0-2 say what happens to the pages, bits 3-4 who receives them, bit 5 whether a full
/// queue blocks. Every other bit is reserved (InvalidArgument). docs/page-send.md has the full table.
/// </summary>
[Flags]
public enum SendFlags : ulong
{
    /// <summary>Move, read-only for the receiver, to the named pid, fail when the queue is full.</summary>
    None = 0,
    /// <summary>Bit 0: the sender keeps read/write access (share, or copy with a writable original).</summary>
    SenderKeeps = 1 << 0,
    /// <summary>Bit 1: the receiver may write the pages; clear = mapped read-only.</summary>
    ReceiverWrite = 1 << 1,
    /// <summary>Bit 2: the receiver gets a copy (copy-on-write) instead of the same frames.</summary>
    Duplicate = 1 << 2,
    /// <summary>Bits 3-4 = 1: send to the sender's own process.</summary>
    ToSelf = 1 << 3,
    /// <summary>Bits 3-4 = 2: send to every process with a handler for the type.</summary>
    ToAll = 2 << 3,
    /// <summary>Bits 3-4 = 3: send to every process with a handler except the sender's.</summary>
    ToAllButSelf = 3 << 3,
    /// <summary>Bit 5: block while a receiver's queue is full instead of failing with QueueFull.</summary>
    Block = 1 << 5,
}

/// <summary>Helpers for <see cref="SendFlags"/>.</summary>
public static class SendFlagBits
{
    /// <summary>The target field (bits 3-4).</summary>
    public const ulong TargetMask = 3 << 3;

    /// <summary>Bits that must be zero.</summary>
    public const ulong Reserved = ~0x3FUL;

    /// <summary>"MOVE|RO", "SHARE|RW|ALL"... for traces.</summary>
    public static string Describe(ulong flags)
    {
        var f = (SendFlags)flags;
        string what = (f & SendFlags.Duplicate) != 0 ? "COPY" : (f & SendFlags.SenderKeeps) != 0 ? "SHARE" : "MOVE";
        string rights = (f & SendFlags.ReceiverWrite) != 0 ? "RW" : "RO";
        string target = (flags & TargetMask) switch { 0 => "", 8 => "|SELF", 16 => "|ALL", _ => "|ALL-BUT-SELF" };
        string keep = (f & (SendFlags.Duplicate | SendFlags.SenderKeeps)) == SendFlags.Duplicate ? "|SENDER-RO" : "";
        return what + "|" + rights + keep + target + ((f & SendFlags.Block) != 0 ? "|BLOCK" : "") + ((flags & Reserved) != 0 ? $"|0x{flags & Reserved:x}" : "");
    }
}
