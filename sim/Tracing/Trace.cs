namespace MicroKernel.Sim.Tracing;

/// <summary>A trace file read into memory: its header, every event in order, and the run's outcome.</summary>
/// <param name="Path">The file it was read from.</param>
/// <param name="Header">The header.</param>
/// <param name="Events">The events; <c>Events[i].Event.Seq == i</c>.</param>
/// <param name="Summary">The trailer.</param>
/// <param name="FileBytes">The file's size.</param>
internal sealed record Trace(string Path, TraceHeader Header, IReadOnlyList<TraceEvent> Events, TraceSummary Summary, long FileBytes);

/// <summary>The trailer of a trace: how the recorded run ended.</summary>
/// <param name="EventCount">Events in the trace.</param>
/// <param name="Outcome">The run's outcome.</param>
/// <param name="Ticks">Virtual time at the end.</param>
/// <param name="Switches">Context switches.</param>
internal sealed record TraceSummary(long EventCount, RunOutcome Outcome, long Ticks, long Switches);
