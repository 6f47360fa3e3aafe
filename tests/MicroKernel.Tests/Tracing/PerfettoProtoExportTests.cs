using System.Text.Json;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tests.X86;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// trace export --format perfetto-proto: Perfetto's protobuf trace, decoded with Google.Protobuf and the repository's
/// .proto files (sim/Protos), shows what the JSON export shows.
/// </summary>
public class PerfettoProtoExportTests
{
    public static TheoryData<string> BuiltIns() => [.. ScenarioRunner.BuiltInNames];

    private static (PerfettoModel Json, PerfettoModel Proto) ExportBoth(TraceFixture f, string trace)
    {
        string json = f.PathOf("out.json"), proto = f.PathOf("out.pftrace");
        var (code, output, err) = TraceFixture.Mk("trace", "export", "--format", "perfetto-proto", trace, proto);
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain("as Perfetto protobuf");
        TraceFixture.Mk("trace", "export", "--format", "perfetto", trace, json).Code.ShouldBe(ExitCodes.Ok);
        using JsonDocument doc = JsonDocument.Parse(File.ReadAllBytes(json));
        using FileStream input = File.OpenRead(proto);
        return (PerfettoModel.FromJson(doc), PerfettoModel.FromProto(input));
    }

    [Theory]
    [MemberData(nameof(BuiltIns))]
    public void The_protobuf_export_has_the_tracks_slices_instants_and_flows_of_the_json_export(string scenario)
    {
        using var f = new TraceFixture();
        string path = f.Record(scenario);
        (PerfettoModel json, PerfettoModel proto) = ExportBoth(f, path);

        proto.Tracks.ShouldBe(json.Tracks, ignoreOrder: true);
        proto.Slices.Order(StringComparer.Ordinal).ShouldBe(json.Slices.Order(StringComparer.Ordinal));
        proto.Instants.Order(StringComparer.Ordinal).ShouldBe(json.Instants.Order(StringComparer.Ordinal));
        proto.Flows.Order(StringComparer.Ordinal).ShouldBe(json.Flows.Order(StringComparer.Ordinal));
        json.Slices.ShouldContain(s => s.Contains("[syscall]"));

        // What the JSON export leaves out: the slices still open when the run stopped, one life slice for each
        // thread that never exited.
        Trace trace = TraceFixture.Read(path);
        var exited = trace.Events.Where(t => t.Event.Kind == EventKind.ThreadExit).Select(t => t.Event.Tid).ToHashSet();
        int alive = trace.Events.Count(t => t.Event.Kind == EventKind.ThreadStart && !exited.Contains(t.Event.Tid));
        proto.Unended.Count(s => s.EndsWith("[thread]", StringComparison.Ordinal)).ShouldBe(alive);
        if (alive == 0) proto.Unended.ShouldBeEmpty();
    }

    /// <summary>Scenario files beyond the built-ins: nested RPC, a C service, RPC and a queue together, fault injection.</summary>
    public static TheoryData<string, string[]> Files() => new()
    {
        { "rpc.scn", [] },
        { "queue-rpc.scn", [] },
        { "c-rpc.scn", [] },
        { "careless.scn", ["--fault", "syscall name=map nth=1 error=OutOfMemory"] },
        { "stale-tlb.scn", ["--fault", "kernel-bug name=skip-tlb-flush nth=1", "--check", "syscall"] },
    };

    [Theory]
    [MemberData(nameof(Files))]
    public void Scenario_files_export_the_same_in_both_formats(string file, string[] options)
    {
        using var f = new TraceFixture();
        string path = f.PathOf(file + ".mktrace");
        var (code, _, err) = TraceFixture.Mk(["run", Path.Combine(CExamples.RepoRoot, "sim", "scenarios", file), "--trace", path, .. options]);
        File.Exists(path).ShouldBeTrue($"exit {code}: {err}");
        (PerfettoModel json, PerfettoModel proto) = ExportBoth(f, path);
        proto.Tracks.ShouldBe(json.Tracks, ignoreOrder: true);
        proto.Slices.Order(StringComparer.Ordinal).ShouldBe(json.Slices.Order(StringComparer.Ordinal));
        proto.Instants.Order(StringComparer.Ordinal).ShouldBe(json.Instants.Order(StringComparer.Ordinal));
        proto.Flows.Order(StringComparer.Ordinal).ShouldBe(json.Flows.Order(StringComparer.Ordinal));
        if (options.Length > 0) proto.Instants.ShouldContain(i => i.Contains("| INJECT @"));
    }

    [Fact]
    public void Every_kind_of_flow_is_drawn_from_its_cause_to_its_effect()
    {
        using var f = new TraceFixture();
        // pages: sends to handlers (one broadcast); queue: notifies to waits; rpc: rpc_call to the method;
        // demo: thread_create to the new thread; shmem: shm_send / shm_call to the segment handler.
        var flows = new List<string>();
        foreach (string scenario in new[] { "pages", "queue", "rpc", "demo", "shmem" })
            flows.AddRange(ExportBoth(f, f.Record(scenario)).Proto.Flows);
        flows.ShouldContain(x => x.Contains("| send @") && x.Contains("| handler type "));
        flows.ShouldContain(x => x.Contains("| notify @") && x.Contains("| wait"));
        flows.ShouldContain(x => x.Contains("| rpc_call @") && x.Contains("| rpc object "));
        flows.ShouldContain(x => x.Contains("| thread_create @"));
        flows.ShouldContain(x => x.Contains("| shm_send @") && x.Contains("| segment handler type "));
        flows.ShouldContain(x => x.Contains("| shm_call @") && x.Contains("| segment handler type "));
    }

    [Fact]
    public void Interning_tables_cleared_on_the_way_change_nothing_perfetto_shows()
    {
        using var f = new TraceFixture();
        Trace trace = TraceFixture.Read(f.Record("queue"));
        var formatter = new EventFormatter(TraceCommands.SyscallTable());
        using var whole = new MemoryStream();
        using var small = new MemoryStream();
        PerfettoProtoExporter.Export(trace.Events, whole, formatter);
        PerfettoProtoExporter.Export(trace.Events, small, formatter, maxInterned: 16);
        whole.Position = small.Position = 0;
        PerfettoModel a = PerfettoModel.FromProto(whole), b = PerfettoModel.FromProto(small);
        a.Clears.ShouldBe(1); // the first packet
        b.Clears.ShouldBeGreaterThan(100);
        b.Slices.ShouldBe(a.Slices);
        b.Instants.ShouldBe(a.Instants);
        b.Flows.ShouldBe(a.Flows);
        b.Tracks.ShouldBe(a.Tracks);
    }

    [Fact]
    public void Packets_are_written_while_the_events_are_read()
    {
        using var f = new TraceFixture();
        Trace trace = TraceFixture.Read(f.Record("queue"));
        using var output = new MemoryStream();
        var source = new WatchedEvents(trace.Events, output);
        long exported = PerfettoProtoExporter.Export(source, output, new EventFormatter(TraceCommands.SyscallTable()));
        exported.ShouldBe(trace.Events.Count);
        // Two passes (the tick width, then the export), one event at a time; by the last event of the second most
        // of the output was already written: the exporter does not hold the trace to write it at the end.
        source.Passes.ShouldBe(2);
        source.WrittenBeforeLast.ShouldBeGreaterThan(output.Length / 2);
        output.Position = 0;
        PerfettoModel.FromProto(output).Slices.ShouldNotBeEmpty();
    }

    // Yields the events one at a time and notes how much output exists when the last one is handed out.
    private sealed class WatchedEvents(IReadOnlyList<TraceEvent> events, Stream output) : IEnumerable<TraceEvent>
    {
        public int Passes { get; private set; }
        public long WrittenBeforeLast { get; private set; }

        public IEnumerator<TraceEvent> GetEnumerator()
        {
            Passes++;
            for (int i = 0; i < events.Count; i++)
            {
                if (i == events.Count - 1) WrittenBeforeLast = output.Length;
                yield return events[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }

    [Fact]
    public void An_output_that_cannot_be_written_is_an_io_error_and_stdout_is_refused()
    {
        using var f = new TraceFixture();
        string trace = f.Record("pages");
        var (code, output, err) = TraceFixture.Mk("trace", "export", "--format", "perfetto-proto", trace, f.PathOf("no/such/folder/out.pftrace"));
        code.ShouldBe(ExitCodes.IoError);
        output.ShouldBeEmpty();
        err.ShouldStartWith("error: cannot write '");

        var dash = TraceFixture.Mk("trace", "export", "--format", "perfetto-proto", trace, "-");
        dash.Code.ShouldBe(ExitCodes.Usage);
        dash.Out.ShouldBeEmpty();
        dash.Err.ShouldContain("binary format and cannot go to stdout");
    }

    [Fact]
    public void A_damaged_trace_is_refused_before_anything_is_written()
    {
        using var f = new TraceFixture();
        string trace = f.Record("pages");
        byte[] bytes = File.ReadAllBytes(trace);
        File.WriteAllBytes(trace, bytes[..(bytes.Length / 2)]);
        string outPath = f.PathOf("out.pftrace");
        var (code, _, err) = TraceFixture.Mk("trace", "export", "--format", "perfetto-proto", trace, outPath);
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldStartWith("error: ");
        File.Exists(outPath).ShouldBeFalse();
    }

    [Fact]
    public void The_export_help_lists_both_formats()
    {
        string help = TraceFixture.Mk("trace", "export", "--help").Out;
        help.ShouldContain("perfetto (Chrome/Perfetto Trace Event JSON)");
        help.ShouldContain("perfetto-proto (Perfetto's protobuf trace");
        var none = TraceFixture.Mk("trace", "export", "x.mktrace", "out");
        none.Err.Trim().ShouldBe("error: say which format: --format perfetto|perfetto-proto");
    }
}
