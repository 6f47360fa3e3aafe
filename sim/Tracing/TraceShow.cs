using System.Text.Json;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>Which events <c>trace show</c> prints, and how (the strace options).</summary>
/// <param name="Pids">Only these processes (empty = all).</param>
/// <param name="Syscalls">Only syscalls with these names (empty = every event kind); faults and exits are kept, as strace keeps signals and exits.</param>
/// <param name="From">Only events at or after this tick (the reader jumps to the first block that can hold one).</param>
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

    /// <summary>Only events from this sequence number on (the reader jumps to its block).</summary>
    public long? FromSeq { get; init; }
}

/// <summary>
/// Prints a trace strace-style, one event a line (<c>#seq tick [pid P tid T] write("hello\n", 6) = 6</c>; errors as
/// <c>= -20 NoSuchObject (no such RPC service object)</c>; faults as <c>--- FAULT ... ---</c>, exits as
/// <c>+++ exited with 0 +++</c>), as strace's <c>-c</c> table, or as JSON Lines (one object per event: the converter
/// to a text format any tool can read).
/// </summary>
internal static class TraceShow
{
    /// <summary>
    /// Prints the header and the events that pass <paramref name="filter"/>; returns how many were printed. The trace
    /// is streamed twice from the first block the range needs (the trailer's index finds it): a first pass finds the
    /// calls that never return (so that their entry prints as <c>exit(0) = ?</c>), the second prints. A block that
    /// cannot be read is skipped with a <c># skipped</c> line and passed to <paramref name="damaged"/>.
    /// </summary>
    public static int Text(Trace trace, ShowFilter filter, EventFormatter formatter, TextWriter output, Action<BlockDamage>? damaged = null)
    {
        if (filter.Summary)
        {
            SyscallSummary.Write(Calls(trace, filter, formatter, damaged), formatter, output);
            return 0;
        }
        TraceHeader h = trace.Header;
        output.WriteLine($"# trace of scenario '{h.ScenarioName}' ({h.ScenarioSource}), recorded by mk {h.Build}, format {h.FormatVersion}");
        output.WriteLine($"# {trace.Events.Count} events, {trace.FileBytes} bytes; run {trace.Summary.Outcome} at tick {trace.Summary.Ticks}, {trace.Summary.Switches} context switches");
        string options = string.Join(" ", h.Options.Where(o => o.Value is not null).Select(o => $"--{o.Key} {o.Value}"));
        output.WriteLine($"# config: {string.Join(", ", h.Config.Select(c => $"{c.Key}={c.Value}"))}{(options.Length > 0 ? "; options: " + options : "")}");
        foreach ((string path, string sha256) in h.Binaries) output.WriteLine($"# binary: {path} sha256 {sha256}");
        HashSet<long> neverReturn = NeverReturning(trace, filter);
        var open = new Dictionary<int, Stack<long>>(); // per tid: the ticks of its open syscall entries
        int printed = 0;
        long? previousTick = null;
        foreach (TraceEvent te in Range(trace, filter, d =>
        {
            output.WriteLine($"# skipped events #{d.Block.FirstSeq}..#{d.Block.EndSeq - 1} (ticks {d.Block.FirstTick}..{d.Block.LastTick}): {d.Error.Problem} (offset {d.Error.Offset})");
            damaged?.Invoke(d);
        }))
        {
            KernelEvent e = te.Event;
            long? enterTick = Pair(open, e);
            if (!InRange(e, filter) || !Passes(e, filter, formatter)) continue;
            bool returns = e.Kind == EventKind.SyscallEnter && !neverReturn.Contains(e.Seq);
            if (returns && !filter.Enters) continue;
            output.WriteLine(StraceLine(formatter, te, returns, filter, filter.Relative ? e.Tick - (previousTick ?? e.Tick) : null, enterTick));
            previousTick = e.Tick;
            printed++;
            if (filter.Io && te.Io is { } io)
                foreach (IoSegment s in io.Segments)
                    output.WriteLine($"{"",7}{"",8}{(s.Written ? "  wrote" : "  read")} {s.Length} B at 0x{s.Address:x}{(s.Bytes is null ? "" : ": " + StraceString.Quote(s.Bytes, filter.StringLimit))}"
                        + (s.Written ? $" (digest {io.WrittenDigest:x16})" : $" (digest {io.ReadDigest:x16})"));
        }
        return printed;
    }

    // The events a listing needs, in order: from one block before the first block of the range (so that calls entered
    // just before it pair with their exits) to the end of the range. Ticks never decrease, so the first event after
    // --to ends it.
    private static IEnumerable<TraceEvent> Range(Trace trace, ShowFilter filter, Action<BlockDamage>? damaged)
    {
        IEnumerable<TraceEvent> events = trace.Events;
        if (trace.Index is { } index && (filter.FromSeq is not null || filter.From is not null))
        {
            int block = Math.Max(filter.FromSeq is { } seq ? index.BlockOfSeq(Math.Min(seq, trace.Events.Count - 1L)) : 0,
                filter.From is { } tick ? index.FirstBlockFromTick(tick) : 0);
            if (block >= index.Blocks.Count) yield break;
            // A damaged block before the range (the one read only to pair calls) is not the listing's concern.
            long fromSeq = filter.FromSeq ?? 0, fromTick = filter.From ?? long.MinValue;
            events = trace.From(index.Blocks[Math.Max(0, block - 1)].FirstSeq,
                damaged is null ? null : d => { if (d.Block.EndSeq > fromSeq && d.Block.LastTick >= fromTick) damaged(d); });
        }
        else if (trace.Index is not null) events = trace.From(0, damaged);
        foreach (TraceEvent te in events)
        {
            if (filter.To is { } to && te.Event.Tick > to) yield break;
            yield return te;
        }
    }

    private static bool InRange(KernelEvent e, ShowFilter f) => e.Seq >= (f.FromSeq ?? 0) && e.Tick >= (f.From ?? long.MinValue) && e.Tick <= (f.To ?? long.MaxValue);

    // Pairs a syscall exit with its entry (the last open entry of its tid): the entry's tick, or null.
    private static long? Pair(Dictionary<int, Stack<long>> open, KernelEvent e)
    {
        if (e.Kind == EventKind.SyscallEnter)
        {
            if (!open.TryGetValue(e.Tid, out Stack<long>? s)) open[e.Tid] = s = new Stack<long>();
            s.Push(e.Tick);
        }
        else if (e.Kind == EventKind.SyscallExit && open.TryGetValue(e.Tid, out Stack<long>? s) && s.TryPop(out long tick)) return tick;
        return null;
    }

    // The first pass: the entries in the range whose call never returns (exit, thread_exit, a killed or forever
    // blocked call). It reads past the range's end only while some entry in it is still open, and an entry still open
    // when its thread exits never returns.
    private static HashSet<long> NeverReturning(Trace trace, ShowFilter filter)
    {
        var open = new Dictionary<int, Stack<long>>();
        var never = new HashSet<long>();
        int pending = 0;
        // A damaged block is skipped here without a word: the printing pass says it once.
        IEnumerable<TraceEvent> events = Range(trace, filter with { To = null }, _ => { });
        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            bool inRange = InRange(e, filter);
            if (!inRange && filter.To is { } to && e.Tick > to && pending == 0) break;
            if (e.Kind == EventKind.SyscallEnter)
            {
                if (!open.TryGetValue(e.Tid, out Stack<long>? s)) open[e.Tid] = s = new Stack<long>();
                s.Push(inRange ? e.Seq : -1);
                if (inRange) pending++;
            }
            else if (e.Kind == EventKind.SyscallExit && open.TryGetValue(e.Tid, out Stack<long>? s) && s.TryPop(out long seq) && seq >= 0) pending--;
            else if (e.Kind == EventKind.ThreadExit && open.Remove(e.Tid, out Stack<long>? left))
                foreach (long unfinished in left)
                    if (unfinished >= 0)
                    {
                        never.Add(unfinished);
                        pending--;
                    }
        }
        foreach (Stack<long> left in open.Values)
            foreach (long unfinished in left)
                if (unfinished >= 0) never.Add(unfinished);
        return never;
    }

    // Each call once for -c: a returned call at its exit (ticks from its entry), an unfinished one at its entry
    // (when its thread exits, or at the end).
    private static IEnumerable<(KernelEvent, long)> Calls(Trace trace, ShowFilter filter, EventFormatter formatter, Action<BlockDamage>? damaged)
    {
        var open = new Dictionary<int, Stack<KernelEvent>>();
        foreach (TraceEvent te in Range(trace, filter, damaged))
        {
            KernelEvent e = te.Event;
            if (e.Kind == EventKind.SyscallEnter)
            {
                if (!open.TryGetValue(e.Tid, out Stack<KernelEvent>? s)) open[e.Tid] = s = new Stack<KernelEvent>();
                s.Push(e);
            }
            else if (e.Kind == EventKind.SyscallExit)
            {
                long? enterTick = open.TryGetValue(e.Tid, out Stack<KernelEvent>? s) && s.TryPop(out KernelEvent enter) ? enter.Tick : null;
                if (InRange(e, filter) && Passes(e, filter, formatter)) yield return (e, enterTick is { } t ? e.Tick - t : 0);
            }
            else if (e.Kind == EventKind.ThreadExit && open.Remove(e.Tid, out Stack<KernelEvent>? left))
                foreach (KernelEvent unfinished in left)
                    if (InRange(unfinished, filter) && Passes(unfinished, filter, formatter)) yield return (unfinished, 0);
        }
        foreach (Stack<KernelEvent> left in open.Values)
            foreach (KernelEvent unfinished in left)
                if (InRange(unfinished, filter) && Passes(unfinished, filter, formatter)) yield return (unfinished, 0);
    }

    /// <summary>Writes the header (first line) and each passing event as one JSON object per line.</summary>
    public static int JsonLines(Trace trace, ShowFilter filter, EventFormatter formatter, Stream output, Action<BlockDamage>? damaged = null)
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
        using var line = new Utf8JsonWriter(output, options); // one writer, reset after each line: nothing allocated per event
        foreach (TraceEvent te in Range(trace, filter, damaged))
        {
            KernelEvent e = te.Event;
            if (!InRange(e, filter) || !Passes(e, filter, formatter)) continue;
            Write(line, te, formatter);
            line.Flush();
            line.Reset();
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
