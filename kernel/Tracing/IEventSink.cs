namespace MicroKernel.Tracing;

/// <summary>Receives the kernel's events in order, on the thread that holds the CPU.</summary>
public interface IEventSink
{
    /// <summary>
    /// Called once per event. The event is passed by reference and its <see cref="KernelEvent.Io"/> is reused after
    /// the call returns: keep <see cref="KernelEvent.Detached"/> copies, never the I/O itself.
    /// </summary>
    void Emit(in KernelEvent e);
}

/// <summary>Keeps every event in memory (tests, the demo's account).</summary>
public sealed class EventLog : IEventSink
{
    private readonly List<KernelEvent> _events = [];

    /// <summary>The events so far.</summary>
    public IReadOnlyList<KernelEvent> Events => _events;

    /// <inheritdoc />
    public void Emit(in KernelEvent e) => _events.Add(e.Detached());
}
