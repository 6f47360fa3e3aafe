using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// The replaying kernel's sink: compares each event it emits with the recorded event of the same sequence number
/// (every field, and the digests of the user memory a syscall read and wrote) and keeps the first divergence.
/// </summary>
internal sealed class ReplayChecker(IReadOnlyList<TraceEvent> recorded, int contextEvents) : IEventSink, IReplayCursor
{
    /// <inheritdoc />
    public long Position { get; private set; }

    /// <inheritdoc />
    public bool Diverged => Divergence is not null;

    /// <summary>The first divergence, or null while every event matched.</summary>
    public Divergence? Divergence { get; private set; }

    /// <inheritdoc />
    public void Emit(in KernelEvent e)
    {
        long seq = Position++;
        if (Divergence is not null) return;
        var replayed = TraceEvent.From(e, 0);
        if (seq >= recorded.Count)
        {
            Diverge(seq, null, replayed, ["the recording ended here, the replay goes on"]);
            return;
        }
        TraceEvent expected = recorded[(int)seq];
        List<string> differences = expected.Differences(replayed);
        if (differences.Count > 0) Diverge(seq, expected, replayed, differences);
    }

    /// <summary>After the run: a replay that emitted fewer events, or ended differently, diverged too.</summary>
    public void Finish(RunResult result, TraceSummary summary)
    {
        if (Divergence is not null) return;
        if (Position < recorded.Count)
        {
            Diverge(Position, recorded[(int)Position], null, ["the replay ended here, the recording goes on"]);
            return;
        }
        var ends = new List<string>();
        if (result.Outcome != summary.Outcome) ends.Add($"outcome: recorded {summary.Outcome}, replayed {result.Outcome}");
        if (result.Ticks != summary.Ticks) ends.Add($"final tick: recorded {summary.Ticks}, replayed {result.Ticks}");
        if (result.Switches != summary.Switches) ends.Add($"context switches: recorded {summary.Switches}, replayed {result.Switches}");
        if (ends.Count > 0) Diverge(Position, null, null, ends);
    }

    /// <summary>Records a divergence found elsewhere (a puppet's check), unless an earlier one is known.</summary>
    public void Report(long seq, string problem)
    {
        if (Divergence is not null && Divergence.Seq <= seq) return;
        Diverge(seq, seq < recorded.Count ? recorded[(int)seq] : null, null, [problem]);
    }

    private void Diverge(long seq, TraceEvent? expected, TraceEvent? replayed, List<string> differences)
    {
        int from = (int)Math.Max(0, Math.Min(seq, recorded.Count) - contextEvents);
        var before = new List<TraceEvent>();
        for (int i = from; i < Math.Min(seq, recorded.Count); i++) before.Add(recorded[i]);
        Divergence = new Divergence(seq, expected, replayed, before, differences);
    }
}

/// <summary>The first point where a replay differed from its recording.</summary>
/// <param name="Seq">The sequence number of the first divergent event.</param>
/// <param name="Recorded">The recorded event there (null: the recording had ended).</param>
/// <param name="Replayed">The replayed event there (null: the replay had ended, or a puppet found the problem).</param>
/// <param name="Before">The recorded events just before it (identical in both runs).</param>
/// <param name="Differences">What differs, field by field.</param>
internal sealed record Divergence(long Seq, TraceEvent? Recorded, TraceEvent? Replayed, IReadOnlyList<TraceEvent> Before, IReadOnlyList<string> Differences);
