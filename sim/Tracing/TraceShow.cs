using System.Text.Json;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>Which events <c>trace show</c> prints, and how (the strace options).</summary>
/// <param name="Pids">Only these processes (empty = all).</param>
/// <param name="Syscalls">Only syscalls with these names (empty = every event kind); faults and exits are kept, as strace keeps signals and exits.</param>
/// <param name="From">Only events at or after this tick.</param>
/// <param name="To">Only events at or before this tick.</param>
/// <param name="Enters">Also print syscall entries (normally only exits, which carry the result).</param>
/// <param name="Io">Print the user memory each syscall read and wrote.</param>
/// <param name="Injections">Only the injections of fault rules (Inject events).</param>
internal sealed record ShowFilter(IReadOnlyCollection<int> Pids, IReadOnlyCollection<string> Syscalls, long? From, long? To, bool Enters = false, bool Io = false,
    bool Injections = false)
{
    /// <summary>Everything.</summary>
    public static ShowFilter All { get; } = new([], [], null, null);

    /// <summary>strace <c>-Z</c>: only calls that returned an error (faults and exits are kept).</summary>
    public bool FailedOnly { get; init; }

    /// <summary>strace <c>-r</c>: the tick column shows ticks since the previous line printed.</summary>
    public bool Relative { get; init; }

    /// <summary>strace <c>-T</c>: each returned call ends with <c>&lt;N&gt;</c>, the ticks from its entry to its exit.</summary>
    public bool Durations { get; init; }

    /// <summary>strace <c>-c</c>: print the per-syscall summary table instead of the events.</summary>
    public bool Summary { get; init; }

    /// <summary>strace <c>-s</c>: bytes of a string argument shown before <c>...</c>.</summary>
    public int StringLimit { get; init; } = StraceString.DefaultLimit;
}

/// <summary>
/// Prints a trace strace-style, one event a line (<c>#seq tick [pid P tid T] write("hello\n", 6) = 6</c>; errors as
/// <c>= -20 NoSuchObject (no such RPC service object)</c>; faults as <c>--- FAULT ... ---</c>, exits as
/// <c>+++ exited with 0 +++</c>), as strace's <c>-c</c> table, or as JSON Lines (one object per event: the converter
/// to a text format any tool can read).
/// </summary>
internal static class TraceShow
{
    /// <summary>Prints the header and the events that pass <paramref name="filter"/>; returns how many were printed.</summary>
    public static int Text(Trace trace, ShowFilter filter, EventFormatter formatter, TextWriter output)
    {
        IReadOnlyList<TraceEvent> events = trace.Events;
        (bool[] returns, int[] enterOf) = Pairs(events);
        if (filter.Summary)
        {
            SyscallSummary.Write(Calls(events, filter, formatter, returns, enterOf), formatter, output);
            return 0;
        }
        TraceHeader h = trace.Header;
        output.WriteLine($"# trace of scenario '{h.ScenarioName}' ({h.ScenarioSource}), recorded by mk {h.Build}, format {h.FormatVersion}");
        output.WriteLine($"# {trace.Events.Count} events, {trace.FileBytes} bytes; run {trace.Summary.Outcome} at tick {trace.Summary.Ticks}, {trace.Summary.Switches} context switches");
        string options = string.Join(" ", h.Options.Where(o => o.Value is not null).Select(o => $"--{o.Key} {o.Value}"));
        output.WriteLine($"# config: {string.Join(", ", h.Config.Select(c => $"{c.Key}={c.Value}"))}{(options.Length > 0 ? "; options: " + options : "")}");
        foreach ((string path, string sha256) in h.Binaries) output.WriteLine($"# binary: {path} sha256 {sha256}");
        int printed = 0;
        long? previousTick = null;
        for (int i = 0; i < events.Count; i++)
        {
            TraceEvent te = events[i];
            KernelEvent e = te.Event;
            if (!Passes(e, filter, formatter)) continue;
            if (e.Kind == EventKind.SyscallEnter && returns[i] && !filter.Enters) continue;
            long? enterTick = enterOf[i] >= 0 ? events[enterOf[i]].Event.Tick : null;
            output.WriteLine(StraceLine(formatter, te, returns[i], filter, filter.Relative ? e.Tick - (previousTick ?? e.Tick) : null, enterTick));
            previousTick = e.Tick;
            printed++;
            if (filter.Io && te.Io is { } io)
                foreach (IoSegment s in io.Segments)
                    output.WriteLine($"{"",7}{"",8}{(s.Written ? "  wrote" : "  read")} {s.Length} B at 0x{s.Address:x}{(s.Bytes is null ? "" : ": " + StraceString.Quote(s.Bytes, filter.StringLimit))}"
                        + (s.Written ? $" (digest {io.WrittenDigest:x16})" : $" (digest {io.ReadDigest:x16})"));
        }
        return printed;
    }

    // Each call once for -c: a returned call at its exit (ticks from its entry), an unfinished one at its entry.
    private static IEnumerable<(KernelEvent, long)> Calls(IReadOnlyList<TraceEvent> events, ShowFilter filter, EventFormatter formatter, bool[] returns, int[] enterOf)
    {
        for (int i = 0; i < events.Count; i++)
        {
            KernelEvent e = events[i].Event;
            if (!Passes(e, filter, formatter)) continue;
            if (e.Kind == EventKind.SyscallExit) yield return (e, enterOf[i] >= 0 ? e.Tick - events[enterOf[i]].Event.Tick : 0);
            else if (e.Kind == EventKind.SyscallEnter && !returns[i]) yield return (e, 0);
        }
    }

    /// <summary>Writes the header (first line) and each passing event as one JSON object per line.</summary>
    public static int JsonLines(Trace trace, ShowFilter filter, EventFormatter formatter, Stream output)
    {
        var options = new JsonWriterOptions { Indented = false, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
        using (JsonDocument header = JsonDocument.Parse(trace.Header.ToJson()))
        using (var w = new Utf8JsonWriter(output, options))
        {
            w.WriteStartObject();
            w.WritePropertyName("header");
            header.RootElement.WriteTo(w);
            w.WriteEndObject();
        }
        output.WriteByte((byte)'\n');
        int printed = 0;
        foreach (TraceEvent te in trace.Events)
        {
            KernelEvent e = te.Event;
            if (!Passes(e, filter, formatter)) continue;
            using (var w = new Utf8JsonWriter(output, options)) Write(w, te, formatter);
            output.WriteByte((byte)'\n');
            printed++;
        }
        return printed;
    }

    /// <summary>One event as a JSON object (every field; I/O with digests and stored bytes in base64).</summary>
    public static void Write(Utf8JsonWriter w, TraceEvent te, EventFormatter formatter)
    {
        KernelEvent e = te.Event;
        w.WriteStartObject();
        w.WriteNumber("seq", e.Seq);
        w.WriteNumber("tick", e.Tick);
        w.WriteString("kind", e.Kind.ToString());
        w.WriteNumber("pid", e.Pid);
        w.WriteNumber("tid", e.Tid);
        w.WriteNumber("code", e.Code);
        if (e.Kind is EventKind.SyscallEnter or EventKind.SyscallExit) w.WriteString("syscall", formatter.SyscallName(e.Code));
        w.WriteStartArray("a");
        foreach (ulong a in (ulong[])[e.A0, e.A1, e.A2, e.A3, e.A4, e.A5]) w.WriteNumberValue(a);
        w.WriteEndArray();
        w.WriteNumber("result", e.Result);
        if (e.Text is not null) w.WriteString("text", e.Text);
        if (e.Instructions != 0) w.WriteNumber("instructions", e.Instructions);
        if (te.Io is { } io)
        {
            w.WriteStartArray("io");
            foreach (IoSegment s in io.Segments)
            {
                w.WriteStartObject();
                w.WriteString("dir", s.Written ? "write" : "read");
                w.WriteNumber("addr", s.Address);
                w.WriteNumber("len", s.Length);
                if (s.Bytes is not null) w.WriteBase64String("bytes", s.Bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            if (io.ReadDigest != 0) w.WriteString("readDigest", io.ReadDigest.ToString("x16", CultureInfo.InvariantCulture));
            if (io.WrittenDigest != 0) w.WriteString("writtenDigest", io.WrittenDigest.ToString("x16", CultureInfo.InvariantCulture));
        }
        w.WriteEndObject();
    }

    private static bool Passes(KernelEvent e, ShowFilter f, EventFormatter formatter)
    {
        if (f.Pids.Count > 0 && !f.Pids.Contains(e.Pid)) return false;
        if (f.From is { } from && e.Tick < from) return false;
        if (f.To is { } to && e.Tick > to) return false;
        if (f.Injections && e.Kind != EventKind.Inject) return false;
        bool call = e.Kind is EventKind.SyscallEnter or EventKind.SyscallExit;
        // As strace keeps signals and exits under -e trace= and -Z, both filters keep faults and exits.
        bool kept = e.Kind is EventKind.Fault or EventKind.ProcessExit or EventKind.ThreadExit;
        if (f.Syscalls.Count > 0 && !kept && !(call && f.Syscalls.Contains(formatter.SyscallName(e.Code)))) return false;
        if (f.FailedOnly && !kept && !(e.Kind == EventKind.SyscallExit && e.Result < 0)) return false;
        return true;
    }

    // Pairs each syscall entry with its exit: returns[enter] says whether the exit is in the trace (exit, thread_exit
    // and killed calls never return), enterOf[exit] is the index of its entry (-1 for every other event).
    private static (bool[] Returns, int[] EnterOf) Pairs(IReadOnlyList<TraceEvent> events)
    {
        var returned = new bool[events.Count];
        var enterOf = new int[events.Count];
        Array.Fill(enterOf, -1);
        var open = new Dictionary<int, Stack<int>>();
        for (int i = 0; i < events.Count; i++)
        {
            KernelEvent e = events[i].Event;
            if (e.Kind == EventKind.SyscallEnter)
            {
                if (!open.TryGetValue(e.Tid, out Stack<int>? s)) open[e.Tid] = s = new Stack<int>();
                s.Push(i);
            }
            else if (e.Kind == EventKind.SyscallExit && open.TryGetValue(e.Tid, out Stack<int>? s) && s.TryPop(out int enter))
            {
                returned[enter] = true;
                enterOf[i] = enter;
            }
        }
        return (returned, enterOf);
    }

    /// <summary>
    /// One event as <c>trace show</c> prints it, strace-style: <c>#seq tick [pid P tid T] what</c>, with the string
    /// arguments whose bytes the trace holds inline, errors with the kernel's message, faults as <c>--- ... ---</c>,
    /// exits as <c>+++ ... +++</c>. <paramref name="relative"/> replaces the tick by <c>+N</c> (strace -r);
    /// <paramref name="enterTick"/> (a returned call's entry) gives the <c>&lt;N&gt;</c> of strace -T.
    /// </summary>
    public static string StraceLine(EventFormatter formatter, TraceEvent te, bool returns, ShowFilter filter, long? relative, long? enterTick)
    {
        KernelEvent e = te.Event;
        string what = e.Kind switch
        {
            EventKind.SyscallExit => Call(formatter, te, filter.StringLimit) + (filter.Durations && enterTick is { } t ? $" <{e.Tick - t}>" : ""),
            EventKind.SyscallEnter => returns ? Unfinished(formatter, e)[..^4] + " ..." : Unfinished(formatter, e),
            EventKind.Fault => "--- " + Body(formatter.Format(e)) + " ---",
            EventKind.ProcessExit => string.Create(CultureInfo.InvariantCulture, $"+++ exited with {e.Code} +++"),
            EventKind.ThreadExit => string.Create(CultureInfo.InvariantCulture, $"+++ thread exited with {e.Code} +++"),
            _ => Body(formatter.Format(e)),
        };
        string who = e.Pid == 0 ? "[kernel]" : e.Tid == 0 ? $"[pid {e.Pid}]" : $"[pid {e.Pid} tid {e.Tid}]";
        string tick = relative is { } r ? "+" + r.ToString(CultureInfo.InvariantCulture) : e.Tick.ToString(CultureInfo.InvariantCulture);
        return "#" + e.Seq.ToString(CultureInfo.InvariantCulture).PadRight(6) + $"{tick,7} {who,-18} {what}";
    }

    // What EventFormatter.Format says after its tick and pid columns ("{tick,7} {who,-18} what").
    private static string Body(string line)
    {
        int at = line.IndexOf(']', StringComparison.Ordinal);
        return at < 0 ? line.Trim() : line[(at + 1)..].TrimStart();
    }

    /// <summary>
    /// A returned call: <c>write("hello\n", 6) = 6</c>, an address argument shown as the string the call read
    /// there when the trace holds those bytes, and an error result with its message (<c>= -20 NoSuchObject (...)</c>).
    /// </summary>
    public static string Call(EventFormatter formatter, TraceEvent te, int stringLimit = StraceString.DefaultLimit)
    {
        KernelEvent e = te.Event;
        string call = formatter.FormatCall(e);
        int eq = call.LastIndexOf(" = ", StringComparison.Ordinal);
        string head = eq >= 0 ? call[..eq] : call;
        if (te.Io is { } io && head.EndsWith(')'))
        {
            int open = head.IndexOf('(', StringComparison.Ordinal);
            string[] args = head[(open + 1)..^1].Split(", ");
            for (int i = 0; i < args.Length; i++)
            {
                IoSegment? read = io.Segments.FirstOrDefault(s => !s.Written && s.Bytes is not null && args[i] == $"0x{s.Address:x}");
                if (read is not null) args[i] = StraceString.Quote(read.Bytes, stringLimit);
            }
            head = head[..(open + 1)] + string.Join(", ", args) + ")";
        }
        string result = eq >= 0 ? call[(eq + 3)..] : "";
        if (e.Result < 0 && Enum.IsDefined((ErrorCode)e.Result)) result += $" ({((ErrorCode)e.Result).Message()})";
        return head + " = " + result;
    }

    /// <summary>
    /// One event as the replay report prints it: <c>#seq tick [pid P tid T] what</c> in the kernel's own words. A
    /// syscall entry shows its arguments, as <c>map(0x0, 4096, rw-) ...</c> when the call returns later, or
    /// <c>exit(0) = ?</c> when it never does.
    /// </summary>
    public static string Line(EventFormatter formatter, KernelEvent e, bool returns = true)
    {
        string line = formatter.Format(e);
        if (e.Kind == EventKind.SyscallEnter)
        {
            string call = Unfinished(formatter, e);
            line = line.Replace(formatter.SyscallName(e.Code) + "(...) entered", returns ? call[..^4] + " ..." : call);
        }
        return "#" + e.Seq.ToString(CultureInfo.InvariantCulture).PadRight(6) + line;
    }

    /// <summary>A call that never returned, strace-style: <c>exit(0) = ?</c>.</summary>
    public static string Unfinished(EventFormatter formatter, KernelEvent enter)
    {
        string call = formatter.FormatCall(enter);
        int eq = call.LastIndexOf(" = ", StringComparison.Ordinal);
        return (eq >= 0 ? call[..eq] : call) + " = ?";
    }
}
