namespace MicroKernel.Sim.Tracing;

/// <summary>
/// A trace file opened for reading: its header, its events (read block by block as they are used: a
/// <see cref="TraceEventList"/> when it came from <see cref="TraceReader"/>), and the run's outcome. Dispose it to
/// close the file.
/// </summary>
/// <param name="Path">The file it was read from.</param>
/// <param name="Header">The header.</param>
/// <param name="Events">The events; <c>Events[i].Event.Seq == i</c>.</param>
/// <param name="Summary">The trailer.</param>
/// <param name="FileBytes">The file's size.</param>
internal sealed record Trace(string Path, TraceHeader Header, IReadOnlyList<TraceEvent> Events, TraceSummary Summary, long FileBytes) : IDisposable
{
    /// <summary>The trailer's block index (null for a trace built in memory).</summary>
    public TraceBlockIndex? Index { get; init; }

    /// <summary>Bytes of the file read for events so far (0 for a trace built in memory).</summary>
    public long BytesRead => (Events as TraceEventList)?.BytesRead ?? 0;

    /// <summary>The events from sequence number <paramref name="seq"/> on, without reading those before (see <see cref="TraceEventList.From"/>).</summary>
    public IEnumerable<TraceEvent> From(long seq, Action<BlockDamage>? damaged = null) =>
        Events is TraceEventList list ? list.From(seq, damaged) : EventsFrom(Events, seq);

    /// <summary>The events at or after tick <paramref name="tick"/>, without reading the blocks before.</summary>
    public IEnumerable<TraceEvent> FromTick(long tick, Action<BlockDamage>? damaged = null) =>
        Events is TraceEventList list ? list.FromTick(tick, damaged) : Events.Where(e => e.Event.Tick >= tick);

    /// <summary>The events of <paramref name="events"/> from sequence number <paramref name="seq"/> on: streamed from the file for a <see cref="TraceEventList"/>.</summary>
    public static IEnumerable<TraceEvent> EventsFrom(IReadOnlyList<TraceEvent> events, long seq) =>
        events is TraceEventList list ? list.From(seq, null) : events.Skip((int)Math.Clamp(seq, 0, events.Count));

    /// <inheritdoc />
    public void Dispose() => (Events as IDisposable)?.Dispose();
}

/// <summary>The trailer of a trace: how the recorded run ended.</summary>
/// <param name="EventCount">Events in the trace.</param>
/// <param name="Outcome">The run's outcome.</param>
/// <param name="Ticks">Virtual time at the end.</param>
/// <param name="Switches">Context switches.</param>
internal sealed record TraceSummary(long EventCount, RunOutcome Outcome, long Ticks, long Switches);
