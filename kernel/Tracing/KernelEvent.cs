namespace MicroKernel.Tracing;

/// <summary>
/// One event of the kernel's event stream. Every field is a pure function of (scenario, seed): no wall-clock time,
/// no host thread ids, so two runs give equal streams.
/// </summary>
/// <remarks>
/// A struct, handed to sinks by <c>in</c> reference: emitting an event allocates nothing, so tracing costs little
/// (docs/benchmarks.md). Its <see cref="Text"/> is a string that already exists (a name, the console bytes), and its
/// <see cref="Io"/> a buffer the thread reuses for its next syscall: a sink that keeps events stores
/// <see cref="Detached"/> copies.
/// </remarks>
public readonly record struct KernelEvent
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
    /// store digests of it (and the bytes read, so a trace-driven replay can feed them back). Live events point into
    /// the thread's reused I/O buffer, valid only during the sink's <see cref="IEventSink.Emit"/> call.
    /// </summary>
    public IReadOnlyList<UserIo>? Io { get; init; }

    /// <summary>
    /// This event with its own copy of <see cref="Io"/> (the same event when it has none): what a sink stores when it
    /// keeps events past its <see cref="IEventSink.Emit"/> call.
    /// </summary>
    public KernelEvent Detached()
    {
        if (Io is not { } io) return this;
        var copy = new UserIo[io.Count];
        for (int i = 0; i < copy.Length; i++) copy[i] = io[i] with { Bytes = io[i].Bytes.ToArray() };
        return this with { Io = copy };
    }
}

/// <summary>User memory a syscall read (<paramref name="Written"/> false) or wrote.</summary>
/// <param name="Address">The user address.</param>
/// <param name="Bytes">The bytes (for a live event: a slice of the thread's reused I/O buffer).</param>
/// <param name="Written">True for bytes the kernel wrote into user memory.</param>
public readonly record struct UserIo(ulong Address, ReadOnlyMemory<byte> Bytes, bool Written);
