using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>The memory tests measure the live heap: they must not run beside other tests.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HeapCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "heap";
}

/// <summary>
/// Replay, show and export read a trace block by block: the live heap halfway through a long trace holds a few
/// blocks, not the trace. Loaded whole, 200,000 events take ~30 MB of objects (the old reader: ~150 bytes an event);
/// the bound below is about a quarter of that, and measured 0.9 MB (show) to 3.1 MB (replay). The same checks on
/// several million events run with MK_LONG_TESTS=1.
/// </summary>
[Collection(HeapCollection.Name)]
public class BoundedMemoryTests
{
    private const long Calls = 100_000; // 200,000 events
    private const long Bound = 8 << 20;

    [Fact]
    public void Enumerating_or_indexing_in_order_keeps_no_event_behind()
    {
        using var f = new TraceFixture();
        using Trace trace = TraceReader.Read(LongTraces.RecordFile(f, 20_000));
        WeakReference first = FirstEvent(trace);
        foreach (TraceEvent _ in trace.Events) { }
        for (int i = 0; i < trace.Events.Count; i++) _ = trace.Events[i];
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        first.IsAlive.ShouldBeFalse("the reader kept event #0 after reading the whole trace");
    }

    [Fact]
    public void Replay_holds_a_few_blocks_halfway_not_the_trace()
    {
        using var f = new TraceFixture();
        using Trace trace = TraceReader.Read(LongTraces.RecordFile(f, Calls));
        long before = Heap();
        var probe = new HalfwayProbe(trace.Events.Count / 2);
        LongTraces.Replay(trace, Calls, probe).ShouldBeNull();
        (probe.Heap - before).ShouldBeLessThan(Bound);
    }

    [Fact]
    public void Trace_driven_replay_reads_a_window_and_holds_a_few_blocks_halfway_not_the_trace()
    {
        using var f = new TraceFixture();
        using Trace trace = TraceReader.Read(LongTraces.RecordFile(f, Calls));
        long before = Heap(), halfway = trace.Events.Count / 2, heap = 0, read = 0;
        Divergence? d = LongTraces.ReplayPuppets(trace, (e, plan) =>
        {
            if (e.Seq != halfway) return;
            heap = Heap();
            read = plan.EventsRead;
        });
        d.ShouldBeNull(d is null ? "" : $"event #{d.Seq}: {string.Join("; ", d.Differences)}");
        // The whole plan would be read before the run; a streaming one reads a window past the replay.
        read.ShouldBeInRange(halfway, halfway + PuppetPlan.Window + 1);
        (heap - before).ShouldBeLessThan(Bound);
    }

    [Fact]
    public void Show_jsonl_and_export_hold_a_few_blocks_halfway_not_the_trace()
    {
        using var f = new TraceFixture();
        string path = LongTraces.RecordFile(f, Calls);
        var formatter = new EventFormatter(TraceCommands.SyscallTable());
        foreach (string what in (string[])["show", "show -T", "summary", "jsonl", "export"])
        {
            using Trace trace = TraceReader.Open(path, verify: what == "export");
            long before = Heap();
            long halfway = trace.Events.Count / 2;
            using var output = new HalfwayStream(halfway * 20); // show and JSON Lines write 30-200 bytes an event
            using var text = new StreamWriter(output);
            var table = new FirstLineWriter();
            switch (what)
            {
                case "show": TraceShow.Text(trace, ShowFilter.All, formatter, text); break;
                case "show -T": TraceShow.Text(trace, ShowFilter.All with { Durations = true, Enters = true }, formatter, text); break;
                case "summary": TraceShow.Text(trace, ShowFilter.All with { Summary = true }, formatter, table); break;
                case "jsonl": TraceShow.JsonLines(trace, ShowFilter.All, formatter, output); break;
                default: PerfettoExporter.Export(trace, output, formatter); break;
            }
            text.Flush();
            long heap = what == "summary" ? table.Heap : output.Heap;
            heap.ShouldBeGreaterThan(0, what);
            (heap - before).ShouldBeLessThan(Bound, what + " " + (heap - before));
        }
    }

    [LongFact]
    public void Several_million_events_replay_replay_syscalls_only_show_and_export_in_bounded_memory()
    {
        const long calls = 2_500_000; // 5,000,000 events
        using var f = new TraceFixture();
        string path = LongTraces.RecordFile(f, calls);
        var formatter = new EventFormatter(TraceCommands.SyscallTable());
        using (Trace trace = TraceReader.Read(path))
        {
            long before = Heap();
            var probe = new HalfwayProbe(trace.Events.Count / 2);
            LongTraces.Replay(trace, calls, probe).ShouldBeNull();
            (probe.Heap - before).ShouldBeLessThan(Bound);
        }
        using (Trace trace = TraceReader.Read(path))
        {
            long before = Heap(), halfway = trace.Events.Count / 2, heap = 0;
            LongTraces.ReplayPuppets(trace, (e, _) =>
            {
                if (e.Seq == halfway) heap = Heap();
            }).ShouldBeNull();
            (heap - before).ShouldBeLessThan(Bound);
        }
        using (Trace trace = TraceReader.Read(path))
        {
            long before = Heap();
            using var output = new HalfwayStream(trace.Events.Count / 2 * 20);
            using var text = new StreamWriter(output);
            TraceShow.Text(trace, ShowFilter.All, formatter, text);
            (output.Heap - before).ShouldBeLessThan(Bound);
        }
        using (Trace trace = TraceReader.Read(path))
        {
            long before = Heap();
            using var output = new HalfwayStream(trace.Events.Count / 2 * 20);
            PerfettoExporter.Export(trace, output, formatter);
            (output.Heap - before).ShouldBeLessThan(Bound);
        }
    }

    private static WeakReference FirstEvent(Trace trace) => new(trace.Events[0]);

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    // Measures the live heap when the replaying kernel emits event `at`.
    private sealed class HalfwayProbe(long at) : IEventSink
    {
        public long Heap { get; private set; }

        public void Emit(in KernelEvent e)
        {
            if (e.Seq == at) Heap = BoundedMemoryTests.Heap();
        }
    }

    // Drops what is written, and measures the live heap once `at` bytes went by.
    private sealed class HalfwayStream(long at) : Stream
    {
        private long _written;

        public long Heap { get; private set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => _written;

        public override long Position { get => _written; set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_written < at && _written + buffer.Length >= at) Heap = BoundedMemoryTests.Heap();
            _written += buffer.Length;
        }

        public override void Flush() { }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }

    // -c prints its table once the whole pass is done: whatever the pass kept is still alive when its first line comes.
    private sealed class FirstLineWriter : StringWriter
    {
        public long Heap { get; private set; }

        public override void WriteLine(string? value)
        {
            if (Heap == 0) Heap = BoundedMemoryTests.Heap();
            base.WriteLine(value);
        }
    }
}

/// <summary>A fact that takes minutes: it runs only when MK_LONG_TESTS=1, and is skipped visibly (with the reason) otherwise.</summary>
public sealed class LongFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> unless MK_LONG_TESTS=1.</summary>
    public LongFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("MK_LONG_TESTS") != "1") Skip = "a long test (several million events): run it with MK_LONG_TESTS=1";
    }
}
