using System.CommandLine;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// The trace commands (docs/cli.md, docs/trace-format.md): recording for <c>run --trace</c>, <c>replay</c> (with
/// <c>--syscalls-only</c> for trace-driven replay) and <c>trace show</c> / <c>trace export --format perfetto|perfetto-proto</c>.
/// </summary>
internal sealed class TraceCommands(TextWriter output, TextWriter error)
{
    /// <summary>The <c>--trace FILE</c> option of <c>run</c>.</summary>
    public static Option<string?> TraceOption()
    {
        var o = new Option<string?>("--trace") { Description = "Record the run's event stream to FILE (a trace: docs/trace-format.md)", HelpName = "FILE" };
        // stdout carries the account (or the program's console): a binary trace cannot share it.
        o.Validators.Add(r =>
        {
            if (r.Tokens.Count == 1 && r.Tokens[0].Value == "-") r.AddError("--trace: a trace cannot go to stdout (-), which carries the account; name a file");
        });
        return o;
    }

    /// <summary>The <c>--compress</c> option of <c>run</c> and <c>exec</c>: compress each block of the trace (docs/trace-format.md, "Compression").</summary>
    public static Option<string?> CompressOption()
    {
        var o = new Option<string?>("--compress")
        {
            Description = "With --trace: compress each block of the trace with CODEC: brotli (the default, smallest and fastest as measured) or zlib (which a Python reader reads with its standard library)",
            HelpName = "CODEC",
            Arity = ArgumentArity.ZeroOrOne,
        };
        o.AcceptOnlyFromAmong("brotli", "zlib");
        return o;
    }

    /// <summary>Makes <paramref name="command"/> refuse <c>--compress</c> without <c>--trace</c> (there is nothing to compress).</summary>
    public static void CompressNeedsTrace(Command command, Option<string?> trace, Option<string?> compress) =>
        command.Validators.Add(r =>
        {
            if (r.GetResult(compress) is not null && r.GetResult(trace) is null) r.AddError("--compress: only with --trace FILE (it compresses the trace's blocks)");
        });

    /// <summary>The codec <c>--compress</c> asked for (<see cref="TraceCompression.None"/> when it is absent).</summary>
    public static TraceCompression Compression(ParseResult r, Option<string?> compress) =>
        r.GetResult(compress) is null ? TraceCompression.None : r.GetValue(compress) == "zlib" ? TraceCompression.ZLib : TraceCompression.Brotli;

    /// <summary>How the recordings this object starts store their blocks.</summary>
    public TraceCompression Compress { get; init; }

    /// <summary>
    /// Opens a recording of <paramref name="scenario"/> (loaded from <paramref name="source"/> with the given options)
    /// into <paramref name="path"/>: a sink to attach before the kernel spawns anything. Null (and a message) when a
    /// file cannot be read or written: the caller exits with <see cref="ExitCodes.IoError"/>.
    /// </summary>
    public TraceWriter? StartRecording(string path, string source, Scenario scenario, IReadOnlyDictionary<string, string?> options)
    {
        string text;
        try
        {
            text = TraceScenario.Text(source);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"error: cannot read the scenario again for the trace: {e.Message}");
            return null;
        }
        return StartRecordingText(path, text, scenario, options);
    }

    /// <summary>As <see cref="StartRecording"/>, for a scenario parsed from <paramref name="text"/> (exec --trace writes its own).</summary>
    public TraceWriter? StartRecordingText(string path, string text, Scenario scenario, IReadOnlyDictionary<string, string?> options)
    {
        FileStream file;
        try
        {
            file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 16);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"error: cannot write the trace '{path}': {e.Message}");
            return null;
        }
        TraceHeader header = TraceHeader.For(scenario.Name, scenario.Source, text, scenario.Config, SyscallTable(), options) with { Binaries = BinaryDigests.Of(scenario) };
        return new TraceWriter(file, header, compression: Compress);
    }

    /// <summary>Ends a recording started by <see cref="StartRecording"/>.</summary>
    public void FinishRecording(TraceWriter writer, RunResult result, string path)
    {
        writer.Finish(result);
        writer.Dispose();
        output.WriteLine($"trace: {writer.EventCount} events, {writer.BytesWritten} bytes written to {path}");
    }

    /// <summary>Drops a recording whose run never started (the scenario failed to boot): no half-written trace is left.</summary>
    public void AbandonRecording(TraceWriter writer, string path)
    {
        writer.Dispose();
        try
        {
            File.Delete(path);
        }
        catch (IOException e)
        {
            error.WriteLine($"warning: cannot remove the unfinished trace '{path}': {e.Message}");
        }
    }

    /// <summary>The <c>--cpu interpret|translate</c> option of exec and replay (null when not given).</summary>
    public static Option<X86.X86CpuMode?> CpuOption() => new("--cpu")
    {
        HelpName = "MODE",
        CustomParser = r =>
        {
            string value = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
            switch (value)
            {
                case "interpret": return X86.X86CpuMode.Interpret;
                case "translate": return X86.X86CpuMode.Translate;
                default:
                    r.AddError($"--cpu: expected interpret or translate, got '{value}'");
                    return null;
            }
        },
    };

    /// <summary>
    /// The <c>--translate-threshold N</c> option of exec and replay (null when not given): how many times a block runs
    /// interpreted before the translator compiles it.
    /// </summary>
    public static Option<int?> TranslateThresholdOption()
    {
        Option<int?> o = new("--translate-threshold")
        {
            HelpName = "N",
            Description = $"With --cpu translate: compile a block once it has run N times (0 = at once; default {X86.X86Cpu.DefaultTranslationThreshold})",
            CustomParser = r =>
            {
                string value = r.Tokens.Count == 1 ? r.Tokens[0].Value : "";
                if (int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int n)) return n;
                r.AddError($"--translate-threshold: expected an integer 0 or more, got '{value}'");
                return null;
            },
        };
        return o;
    }

    /// <summary>The <c>replay</c> command.</summary>
    public Command Replay()
    {
        var file = new Argument<string>("FILE") { Description = "A trace recorded with run --trace", HelpName = "FILE" };
        var syscallsOnly = new Option<bool>("--syscalls-only") { Description = "Trace-driven replay: puppet threads re-issue the recorded syscalls instead of running the programs" };
        var live = new Option<bool>("--live-scheduler") { Description = "Schedule with the scenario's own policy instead of the recorded decisions" };
        var breakOption = new Option<string?>("--break") { HelpName = "NAME[:N]", Description = "Test seam: make the Nth call of a syscall return result+1, as a kernel bug would (NAME or NAME:N; N defaults to 1)" };
        Option<int> context = CliValues.Int("--context", 5);
        context.Description = "Recorded events to show before a divergence";
        context.HelpName = "N";
        Option<X86.X86CpuMode?> cpu = CpuOption();
        cpu.Description = "Run the x86-64 binaries with this CPU instead of the recorded one: interpret or translate";
        var replay = new Command("replay", "Re-run a trace's scenario with its recorded decisions and check every event against the trace");
        replay.Arguments.Add(file);
        Option<int?> threshold = TranslateThresholdOption();
        foreach (Option o in new Option[] { syscallsOnly, live, breakOption, context, cpu, threshold }) replay.Options.Add(o);
        replay.SetAction(r => RunReplay(r.GetValue(file)!, r.GetValue(syscallsOnly), r.GetValue(live), r.GetValue(breakOption), r.GetValue(context), r.GetValue(cpu),
            r.GetValue(threshold)));
        return replay;
    }

    /// <summary>The <c>trace</c> command and its <c>show</c> and <c>export</c> subcommands.</summary>
    public Command Trace()
    {
        var trace = new Command("trace", "Read a trace: show it strace-style, or export it for Perfetto");

        var file = new Argument<string>("FILE") { Description = "A trace recorded with run --trace", HelpName = "FILE" };
        Option<int[]> pid = CliValues.Ints("--pid");
        pid.Description = "Only events of this process (repeatable)";
        pid.HelpName = "PID";
        var syscall = new Option<string[]>("--syscall") { Description = "Only these syscalls, by name (repeatable)", HelpName = "NAME" };
        Option<long?> from = CliValues.Long("--from");
        from.Description = "Only events at or after this tick";
        from.HelpName = "TICK";
        Option<long?> seq = CliValues.Long("--seq");
        seq.Description = "Only events from this sequence number on (read from its block: nothing before is read)";
        seq.HelpName = "N";
        Option<long?> to = CliValues.Long("--to");
        to.Description = "Only events at or before this tick";
        to.HelpName = "TICK";
        var enters = new Option<bool>("--enters") { Description = "Also print syscall entries (normally a call is printed once, when it returns)" };
        var io = new Option<bool>("--io") { Description = "Print the user memory each syscall read and wrote (addresses, bytes read, digests)" };
        var injections = new Option<bool>("--injections") { Description = "Only the faults injected by the trace's fault rules (INJECT lines)" };
        var header = new Option<bool>("--header") { Description = "Print the trace's JSON header (scenario text, options, config, build) instead" };
        var jsonl = new Option<bool>("--jsonl") { Description = "Print JSON Lines instead (header line, then one object per event): the text converter" };
        var failedOnly = new Option<bool>("--failed-only", "-Z") { Description = "Only calls that returned an error (faults and exits are kept), as strace -Z" };
        var relative = new Option<bool>("--relative", "-r") { Description = "Show ticks since the previous line instead of the tick, as strace -r" };
        var durations = new Option<bool>("--durations", "-T") { Description = "End each returned call with <N>: the ticks from its entry to its exit, as strace -T" };
        var summary = new Option<bool>("--summary", "-c") { Description = "Print a table instead: calls, errors and ticks per syscall, as strace -c" };
        Option<int> stringLimit = CliValues.Int("--string-limit", StraceString.DefaultLimit);
        stringLimit.Aliases.Add("-s");
        stringLimit.Description = "Bytes of a string argument shown before ..., as strace -s";
        stringLimit.HelpName = "N";
        var outputFile = new Option<string?>("--output", "-o") { Description = "Write to FILE instead of stdout (- is stdout), as strace -o", HelpName = "FILE" };
        var show = new Command("show", "Print a trace strace-style: [pid 1 tid 1] write(\"hello\\n\", 6) = 6");
        show.Arguments.Add(file);
        foreach (Option o in new Option[] { pid, syscall, from, seq, to, enters, io, injections, failedOnly, relative, durations, summary, stringLimit, outputFile, header, jsonl }) show.Options.Add(o);
        show.SetAction(r => Show(r.GetValue(file)!, new ShowFilter(r.GetValue(pid) ?? [], r.GetValue(syscall) ?? [], r.GetValue(from), r.GetValue(to), r.GetValue(enters), r.GetValue(io),
            r.GetValue(injections))
        {
            FailedOnly = r.GetValue(failedOnly),
            Relative = r.GetValue(relative),
            Durations = r.GetValue(durations),
            Summary = r.GetValue(summary),
            StringLimit = r.GetValue(stringLimit),
            FromSeq = r.GetValue(seq),
        },
            r.GetValue(header), r.GetValue(jsonl), r.GetValue(outputFile)));
        trace.Subcommands.Add(show);

        var exportFile = new Argument<string>("FILE") { Description = "A trace recorded with run --trace", HelpName = "FILE" };
        var outFile = new Argument<string>("OUT") { Description = "The file to write, or - for stdout (perfetto only: perfetto-proto is binary)", HelpName = "OUT" };
        var format = new Option<string?>("--format")
        {
            Description = "The output format: perfetto (Chrome/Perfetto Trace Event JSON) or perfetto-proto (Perfetto's protobuf trace: the same picture, about 2.3x smaller; to a file only); open either in ui.perfetto.dev",
            HelpName = "FORMAT",
        };
        format.AcceptOnlyFromAmong(ExportFormats);
        // The first spelling, kept so that old scripts go on working: the same as --format perfetto.
        var perfetto = new Option<bool>("--perfetto") { Description = "The same as --format perfetto", Hidden = true };
        var export = new Command("export", "Convert a trace for a viewer");
        export.Arguments.Add(exportFile);
        export.Arguments.Add(outFile);
        export.Options.Add(format);
        export.Options.Add(perfetto);
        export.SetAction(r => Export(r.GetValue(exportFile)!, r.GetValue(outFile)!, r.GetValue(perfetto) ? "perfetto" : r.GetValue(format)));
        trace.Subcommands.Add(export);
        return trace;
    }

    private int RunReplay(string path, bool syscallsOnly, bool live, string? breakSpec, int context, X86.X86CpuMode? cpu = null, int? threshold = null)
    {
        if (!TryRead(path, verify: true, out Trace? trace)) return ExitCodes.BadInput;
        using Trace opened = trace;
        string? breakName = null;
        int breakCall = 1;
        if (breakSpec is not null)
        {
            string[] parts = breakSpec.Split(':');
            breakName = parts[0];
            if (parts.Length > 2 || breakName.Length == 0 || (parts.Length == 2 && (!int.TryParse(parts[1], CultureInfo.InvariantCulture, out breakCall) || breakCall < 1)))
            {
                error.WriteLine($"error: --break expects NAME or NAME:N with N >= 1, got '{breakSpec}'");
                return ExitCodes.Usage;
            }
        }
        ReplayResult result;
        try
        {
            result = Replayer.Replay(trace, new ReplayOptions(syscallsOnly, live, breakName, breakCall, Math.Max(0, context)) { Cpu = cpu, TranslationThreshold = threshold });
        }
        catch (ScenarioException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (TraceFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        ReplayReport.Write(result, Formatter(), output);
        return result.Divergence is null ? ExitCodes.Ok : ExitCodes.Divergence;
    }

    private int Show(string path, ShowFilter filter, bool header, bool jsonl, string? outPath)
    {
        EventFormatter formatter = Formatter();
        // strace -e trace=nosuch is an error, not an empty listing.
        string[] unknown = filter.Syscalls.Where(n => SyscallTable().All.All(s => s.Name != n)).ToArray();
        if (unknown.Length > 0)
        {
            error.WriteLine($"error: --syscall: no syscall named {string.Join(", ", unknown.Select(n => $"'{n}'"))}; the syscalls are: "
                + string.Join(", ", SyscallTable().All.Select(s => s.Name).Order(StringComparer.Ordinal)));
            return ExitCodes.BadInput;
        }
        if (filter.StringLimit < 0)
        {
            error.WriteLine($"error: --string-limit: expected N >= 0, got {filter.StringLimit}");
            return ExitCodes.Usage;
        }
        if (filter.FromSeq is < 0)
        {
            error.WriteLine($"error: --seq: expected N >= 0, got {filter.FromSeq}");
            return ExitCodes.Usage;
        }
        // No check of every block first: show reads only the blocks its range needs, and skips a damaged one.
        if (!TryRead(path, verify: false, out Trace? trace)) return ExitCodes.BadInput;
        using Trace opened = trace;
        if (outPath is null or "-") return ShowTo(trace, filter, header, jsonl, formatter, output);
        try
        {
            using var file = new StreamWriter(outPath, append: false, new System.Text.UTF8Encoding(false), 1 << 16);
            return ShowTo(trace, filter, header, jsonl, formatter, file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"error: cannot write '{outPath}': {e.Message}");
            return ExitCodes.IoError;
        }
    }

    // Streams the listing to `to`; a damaged block is skipped (the text listing says so in a line of its own) and
    // named on stderr, and the exit code is then BadInput although the rest was shown.
    private int ShowTo(Trace trace, ShowFilter filter, bool header, bool jsonl, EventFormatter formatter, TextWriter to)
    {
        if (header)
        {
            to.WriteLine(System.Text.Encoding.UTF8.GetString(trace.Header.ToJson()));
            return ExitCodes.Ok;
        }
        var skipped = new List<BlockDamage>();
        try
        {
            if (jsonl)
            {
                using var stream = new TextWriterStream(to);
                TraceShow.JsonLines(trace, filter, formatter, stream, skipped.Add);
            }
            else TraceShow.Text(trace, filter, formatter, to, skipped.Add);
        }
        catch (TraceFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        to.Flush();
        foreach (BlockDamage d in skipped)
            error.WriteLine($"error: {d.Error.Message}; skipped its events #{d.Block.FirstSeq}..#{d.Block.EndSeq - 1} and showed the rest");
        return skipped.Count == 0 ? ExitCodes.Ok : ExitCodes.BadInput;
    }

    /// <summary>The formats <c>trace export --format</c> writes.</summary>
    public static readonly string[] ExportFormats = ["perfetto", "perfetto-proto"];

    private int Export(string path, string outPath, string? format)
    {
        if (format is null)
        {
            error.WriteLine($"error: say which format: --format {string.Join("|", ExportFormats)}");
            return ExitCodes.Usage;
        }
        if (format == "perfetto-proto") return ExportProto(path, outPath);
        if (!TryRead(path, verify: true, out Trace? trace)) return ExitCodes.BadInput;
        using Trace opened = trace;
        if (outPath == "-")
        {
            // stdout: the JSON alone, so that it can be piped; the note goes to stderr.
            using (var stream = new TextWriterStream(output)) PerfettoExporter.Export(trace, stream, Formatter());
            output.Flush();
            error.WriteLine($"wrote {trace.Events.Count} events as Perfetto JSON to stdout");
            return ExitCodes.Ok;
        }
        try
        {
            using var file = new FileStream(outPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            PerfettoExporter.Export(trace, file, Formatter());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"error: cannot write '{outPath}': {e.Message}");
            return ExitCodes.IoError;
        }
        output.WriteLine($"wrote {outPath}: {trace.Events.Count} events as Perfetto JSON (open it in https://ui.perfetto.dev)");
        return ExitCodes.Ok;
    }

    // Perfetto's protobuf trace (sim/Protos), written packet by packet as the events are read.
    private int ExportProto(string path, string outPath)
    {
        // stdout carries text here (a TextWriter): a binary trace cannot share it.
        if (outPath == "-")
        {
            error.WriteLine("error: perfetto-proto is a binary format and cannot go to stdout (-): name a file");
            return ExitCodes.Usage;
        }
        if (!TryRead(path, verify: true, out Trace? trace)) return ExitCodes.BadInput;
        using Trace opened = trace;
        long events;
        try
        {
            using var file = new FileStream(outPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
            events = PerfettoProtoExporter.Export(trace.Events, file, Formatter());
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"error: cannot write '{outPath}': {e.Message}");
            return ExitCodes.IoError;
        }
        output.WriteLine($"wrote {outPath}: {events} events as Perfetto protobuf (open it in https://ui.perfetto.dev)");
        return ExitCodes.Ok;
    }

    // Opens the trace: with verify, every block is checked first (replay and export refuse a damaged trace whole).
    private bool TryRead(string path, bool verify, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out Trace? trace)
    {
        try
        {
            trace = TraceReader.Open(path, verify);
            return true;
        }
        catch (TraceFormatException e)
        {
            error.WriteLine($"error: {e.Message}");
            trace = null;
            return false;
        }
    }

    /// <summary>The syscalls (names, argument formats) of this build's kernel.</summary>
    public static Syscalls.SyscallTable SyscallTable()
    {
        using var kernel = new Kernel(new KernelConfig { Frames = 16 });
        return kernel.Syscalls;
    }

    private static EventFormatter Formatter() => new(SyscallTable());
}
