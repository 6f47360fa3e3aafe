using System.Text;
using System.Text.Json;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>Which events <c>trace show</c> prints.</summary>
/// <param name="Pids">Only these processes (empty = all).</param>
/// <param name="Syscalls">Only syscalls with these names (empty = every event kind).</param>
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
}

/// <summary>
/// Prints a trace strace-style, one event a line (<c>#seq tick [pid P tid T] send(2, 1, 0x10000000, 2, MOVE|RO) = 1</c>),
/// or as JSON Lines (one object per event: the converter to a text format any tool can read).
/// </summary>
internal static class TraceShow
{
    /// <summary>Prints the header and the events that pass <paramref name="filter"/>; returns how many were printed.</summary>
    public static int Text(Trace trace, ShowFilter filter, EventFormatter formatter, TextWriter output)
    {
        TraceHeader h = trace.Header;
        output.WriteLine($"# trace of scenario '{h.ScenarioName}' ({h.ScenarioSource}), recorded by mk {h.Build}, format {h.FormatVersion}");
        output.WriteLine($"# {trace.Events.Count} events, {trace.FileBytes} bytes; run {trace.Summary.Outcome} at tick {trace.Summary.Ticks}, {trace.Summary.Switches} context switches");
        string options = string.Join(" ", h.Options.Where(o => o.Value is not null).Select(o => $"--{o.Key} {o.Value}"));
        output.WriteLine($"# config: {string.Join(", ", h.Config.Select(c => $"{c.Key}={c.Value}"))}{(options.Length > 0 ? "; options: " + options : "")}");
        foreach ((string path, string sha256) in h.Binaries) output.WriteLine($"# binary: {path} sha256 {sha256}");
        bool[] returns = Returned(trace.Events);
        int printed = 0;
        for (int i = 0; i < trace.Events.Count; i++)
        {
            TraceEvent te = trace.Events[i];
            KernelEvent e = te.Event;
            if (!Passes(e, filter, formatter)) continue;
            if (e.Kind == EventKind.SyscallEnter && returns[i] && !filter.Enters) continue;
            output.WriteLine(Line(formatter, e, returns[i]));
            printed++;
            if (filter.Io && te.Io is { } io)
                foreach (IoSegment s in io.Segments)
                    output.WriteLine($"{"",7}{"",8}{(s.Written ? "  wrote" : "  read")} {s.Length} B at 0x{s.Address:x}{(s.Bytes is null ? "" : ": " + Preview(s.Bytes))}"
                        + (s.Written ? $" (digest {io.WrittenDigest:x16})" : $" (digest {io.ReadDigest:x16})"));
        }
        return printed;
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
        if (f.Syscalls.Count > 0)
            return e.Kind is EventKind.SyscallEnter or EventKind.SyscallExit && f.Syscalls.Contains(formatter.SyscallName(e.Code));
        return true;
    }

    // For each syscall entry: does its exit appear in the trace? (exit, thread_exit and killed calls never return)
    private static bool[] Returned(IReadOnlyList<TraceEvent> events)
    {
        var returned = new bool[events.Count];
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
                returned[enter] = true;
        }
        return returned;
    }

    /// <summary>
    /// One event as <c>trace show</c> prints it: <c>#seq tick [pid P tid T] what</c>. A syscall entry shows its arguments,
    /// as <c>map(0x0, 4096, rw-) ...</c> when the call returns later, or <c>exit(0) = ?</c> when it never does.
    /// </summary>
    public static string Line(EventFormatter formatter, KernelEvent e, bool returns = true)
    {
        string line = formatter.Format(e);
        if (e.Kind == EventKind.SyscallEnter)
        {
            string call = Unfinished(formatter, e);
            line = line.Replace(formatter.SyscallName(e.Code) + "(...) entered", returns ? call[..^4] + " ..." : call);
        }
        return "#" + e.Seq.ToString(System.Globalization.CultureInfo.InvariantCulture).PadRight(6) + line;
    }

    /// <summary>A call that never returned, strace-style: <c>exit(0) = ?</c>.</summary>
    public static string Unfinished(EventFormatter formatter, KernelEvent enter)
    {
        string call = formatter.FormatCall(enter);
        int eq = call.LastIndexOf(" = ", StringComparison.Ordinal);
        return (eq >= 0 ? call[..eq] : call) + " = ?";
    }

    private static string Preview(byte[] bytes)
    {
        var sb = new StringBuilder("\"");
        foreach (byte b in bytes.Take(48))
            sb.Append(b switch { (byte)'\n' => "\\n", (byte)'"' => "\\\"", (byte)'\\' => "\\\\", >= 32 and < 127 => ((char)b).ToString(), _ => $"\\x{b:x2}" });
        return sb.Append(bytes.Length > 48 ? "\"..." : "\"").ToString();
    }
}
