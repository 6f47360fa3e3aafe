namespace MicroKernel.Tracing;

/// <summary>
/// One event of the kernel's event stream. Every field is a pure function of (scenario, seed): no wall-clock time,
/// no host thread ids, so two runs give equal streams.
/// </summary>
public sealed record KernelEvent
{
    /// <summary>Sequence number, from 0, without gaps.</summary>
    public long Seq { get; init; }

    /// <summary>Virtual time in ticks.</summary>
    public long Tick { get; init; }

    /// <summary>Process the event belongs to (0 for the kernel itself).</summary>
    public int Pid { get; init; }

    /// <summary>Thread the event belongs to (0 for the kernel itself).</summary>
    public int Tid { get; init; }

    /// <summary>What happened.</summary>
    public EventKind Kind { get; init; }

    /// <summary>Syscall number, exit code or fault reason, by kind.</summary>
    public long Code { get; init; }

    /// <summary>First argument / address / next tid, by kind.</summary>
    public ulong A0 { get; init; }

    /// <summary>Second argument.</summary>
    public ulong A1 { get; init; }

    /// <summary>Third argument.</summary>
    public ulong A2 { get; init; }

    /// <summary>Fourth argument.</summary>
    public ulong A3 { get; init; }

    /// <summary>Fifth argument.</summary>
    public ulong A4 { get; init; }

    /// <summary>Sixth argument.</summary>
    public ulong A5 { get; init; }

    /// <summary>Syscall result.</summary>
    public long Result { get; init; }

    /// <summary>Text payload (names, console output, details).</summary>
    public string? Text { get; init; }

    /// <summary>Instructions the thread had retired when the event happened (x86 programs; 0 for C# ones).</summary>
    public long Instructions { get; init; }

    /// <summary>
    /// For syscall exits: the user memory the syscall read and wrote, in order (null when it touched none). Traces
    /// store digests of it (and the bytes read, so a trace-driven replay can feed them back).
    /// </summary>
    public IReadOnlyList<UserIo>? Io { get; init; }
}

/// <summary>User memory a syscall read (<paramref name="Written"/> false) or wrote.</summary>
/// <param name="Address">The user address.</param>
/// <param name="Bytes">The bytes.</param>
/// <param name="Written">True for bytes the kernel wrote into user memory.</param>
public sealed record UserIo(ulong Address, byte[] Bytes, bool Written);
