namespace MicroKernel.Tracing;

/// <summary>Receives the kernel's events in order, on the thread that holds the CPU.</summary>
public interface IEventSink
{
    /// <summary>
    /// Called once per event. The event is passed by reference and its <see cref="KernelEvent.Io"/> is reused after
    /// the call returns: keep <see cref="KernelEvent.Detached"/> copies, never the I/O itself.
    /// </summary>
    void Emit(in KernelEvent e);

    /// <summary>
    /// True when this sink takes a syscall that entered and returned with no other event between as one
    /// <see cref="SyscallRecord"/> (<see cref="EmitSyscall"/>). The kernel then holds the entry back until the exit
    /// or the next event, whichever comes first, so the sink sees the same events in the same order, only the entry
    /// later: a sink that reads the kernel's state when an entry arrives, or whose position in the stream matters
    /// while the syscall runs (the replay checker), keeps the default, false.
    /// </summary>
    bool TakesSyscallRecords => false;

    /// <summary>
    /// A syscall's entry and exit in one call (only for a sink that <see cref="TakesSyscallRecords"/>); by default
    /// the two events, in order.
    /// </summary>
    void EmitSyscall(in SyscallRecord r)
    {
        Emit(r.Entry);
        Emit(r.Exit);
    }
}

/// <summary>Keeps every event in memory (tests, the demo's account).</summary>
public sealed class EventLog : IEventSink
{
    private readonly List<KernelEvent> _events = [];

    /// <summary>The events so far.</summary>
    public IReadOnlyList<KernelEvent> Events => _events;

    /// <inheritdoc />
    public void Emit(in KernelEvent e) => _events.Add(e.Detached());

    /// <inheritdoc />
    public bool TakesSyscallRecords => true;
}
