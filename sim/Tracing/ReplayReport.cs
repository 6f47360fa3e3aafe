using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// The account of a replay: a summary when every event matched; otherwise the first divergent event with its
/// sequence number, the recorded and the replayed version, what differs, and the events just before it. No
/// wall-clock figure: replaying a trace twice prints the same bytes.
/// </summary>
internal static class ReplayReport
{
    /// <summary>Writes the account of <paramref name="r"/>.</summary>
    public static void Write(ReplayResult r, EventFormatter formatter, TextWriter output)
    {
        TraceHeader h = r.Trace.Header;
        output.WriteLine($"replay of {r.Trace.Path}: scenario '{h.ScenarioName}' ({h.ScenarioSource}), seed {h.Config.GetValueOrDefault("Seed", "?")}, recorded by mk {h.Build}");
        if (h.Build != TraceHeader.BuildVersion) output.WriteLine($"note: this is mk {TraceHeader.BuildVersion}; differences may come from the build");
        string mode = r.Options.SyscallsOnly ? $"trace-driven: {r.PuppetThreads} puppet threads re-issue the recorded syscalls" : "the scenario's programs";
        string scheduling = r.Options.LiveScheduler ? "the scenario's own scheduling policy" : "the recorded scheduling decisions";
        output.WriteLine($"mode: {mode}, under {scheduling}");
        if (r.Options.BreakSyscall is { } b) output.WriteLine($"test seam: call {r.Options.BreakCall} of {b} returns result + 1");
        foreach (string note in r.Notes) output.WriteLine($"note: {note}");
        if (r.Divergence is not { } d)
        {
            output.WriteLine($"OK: all {r.Trace.Events.Count} events match the recording"
                + (r.Options.SyscallsOnly ? $" ({r.PuppetSyscalls} syscalls re-issued, every result as recorded)" : ""));
            output.WriteLine($"run: {r.Run.Outcome} at tick {r.Run.Ticks}, {r.Run.Switches} context switches, as recorded");
            if (r.Run.Panic is { } panic) output.WriteLine($"the kernel panicked as recorded: {panic.Summary}");
            return;
        }
        output.WriteLine();
        string tick = d.Recorded?.Event.Tick.ToString(System.Globalization.CultureInfo.InvariantCulture)
            ?? d.Replayed?.Event.Tick.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "?";
        output.WriteLine($"DIVERGENCE at event #{d.Seq} (tick {tick}), after {d.Seq} matching events:");
        output.WriteLine($"  recorded: {Line(d.Recorded, formatter, "(the recording has no such event)")}");
        output.WriteLine($"  replayed: {Line(d.Replayed, formatter, r.Options.SyscallsOnly && d.Replayed is null && d.Recorded is not null ? "(see below)" : "(the replay has no such event)")}");
        output.WriteLine("  differs in:");
        foreach (string difference in d.Differences) output.WriteLine($"    {difference}");
        if (d.Before.Count > 0)
        {
            output.WriteLine($"  the {d.Before.Count} events before it (identical in both runs):");
            foreach (TraceEvent e in d.Before) output.WriteLine($"    {Line(e, formatter, "")}");
        }
        output.WriteLine($"replay: DIVERGED at event #{d.Seq} of {r.Trace.Events.Count}; the replayed run ended {r.Run.Outcome} at tick {r.Run.Ticks}");
    }

    private static string Line(TraceEvent? e, EventFormatter formatter, string none)
    {
        if (e is null) return none;
        string text = TraceShow.Line(formatter, e.Event);
        return e.Io is { } io ? $"{text}  [{io.Describe()}]" : text;
    }
}
