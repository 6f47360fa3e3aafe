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

    /// <summary>
    /// <paramref name="count"/> syscall records that repeat <paramref name="previous"/>, the last record this sink got,
    /// in all but their time: each is the one before with a <see cref="SyscallRecord.Seq"/> two more and a
    /// <see cref="SyscallRecord.Tick"/> <paramref name="tickStep"/> more (a loop of the same syscall). Only for a sink
    /// that <see cref="TakesSyscallRecords"/>; the kernel counts them and hands them out before anything else reaches
    /// the sink. By default each record, in order, through <see cref="EmitSyscall"/>.
    /// </summary>
    void EmitSyscallRepeats(in SyscallRecord previous, long count, long tickStep)
    {
        SyscallRecord r = previous;
        for (long i = 0; i < count; i++)
        {
            r.Seq += 2;
            r.Tick += tickStep;
            EmitSyscall(in r);
        }
    }

    /// <summary>
    /// False when this sink has no use for syscall entries and exits (a console that prints only what programs write):
    /// the kernel then hands it none, and a syscall costs it nothing. It still gets every other event.
    /// </summary>
    bool TakesSyscalls => true;
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
