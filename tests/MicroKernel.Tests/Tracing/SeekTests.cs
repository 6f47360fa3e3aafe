using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// Blocks that decode alone, the trailer's block index, and what they give: <c>trace show --from/--seq</c> read only
/// the blocks their range needs, and a damaged block away from it does not stop a listing (docs/trace-format.md).
/// </summary>
public class SeekTests
{
    private const long Calls = 40_000; // 80,000 events, ~16 blocks

    [Fact]
    public void Every_block_decodes_without_the_blocks_before_it()
    {
        var buffer = new MemoryStream();
        var events = new List<KernelEvent>();
        using (var writer = new TraceWriter(buffer, LongTraces.Header(), ownsStream: false))
        {
            // A syscall entered in one block and left in the next, strings used in both, ticks that grow across.
            long seq = 0;
            void Emit(KernelEvent e)
            {
                e = e with { Seq = seq++ };
                events.Add(e);
                writer.Emit(e);
            }
            Emit(new KernelEvent { Tick = 5, Kind = EventKind.SyscallEnter, Pid = 1, Tid = 1, Code = 14, A0 = 7 });
            for (int i = 0; seq < 20_000; i++)
            {
                Emit(new KernelEvent { Tick = 10 + i, Kind = EventKind.Switch, Pid = 2, Tid = 2, A0 = 3, A1 = 2, Text = "preempt" });
                Emit(new KernelEvent { Tick = 10 + i, Kind = EventKind.Console, Pid = 2, Tid = 2, Text = "same text" });
            }
            Emit(new KernelEvent { Tick = 50_000, Kind = EventKind.SyscallExit, Pid = 1, Tid = 1, Code = 14, A0 = 7, Result = 1 });
            writer.Finish(new RunResult(RunOutcome.Completed, 50_000, 1, [], null, null));
        }
        using Trace trace = TraceReader.Read(buffer.ToArray(), "blocks");
        trace.Index!.Blocks.Count.ShouldBeGreaterThan(3);

        // Backwards, one block at a time, each from a fresh reader: no block can lean on the one before.
        for (int b = trace.Index.Blocks.Count - 1; b >= 0; b--)
        {
            using Trace fresh = TraceReader.Read(buffer.ToArray(), "blocks");
            BlockInfo block = fresh.Index!.Blocks[b];
            List<TraceEvent> read = [.. fresh.From(block.FirstSeq).Take(block.Count)];
            read.Select(t => t.Event).ShouldBe(events.Skip((int)block.FirstSeq).Take(block.Count));
            ((TraceEventList)fresh.Events).BlocksDecoded.ShouldBe(1);
            read[0].Event.Tick.ShouldBe(block.FirstTick);
            read[^1].Event.Tick.ShouldBe(block.LastTick);
        }
        trace.Events[^1].Event.ShouldBe(events[^1]); // the exit's call, though its entry is blocks back
    }

    [Fact]
    public void Show_reads_the_same_bytes_for_a_range_at_the_start_the_middle_or_the_end()
    {
        using var f = new TraceFixture();
        string path = LongTraces.RecordFile(f, Calls);
        long fileBytes = new FileInfo(path).Length;
        var read = new List<long>();
        foreach (double where in (double[])[0.02, 0.5, 0.97])
        {
            using Trace trace = TraceReader.Open(path, verify: false);
            long seq = (long)(trace.Events.Count * where);
            long tick = trace.Events[(int)seq].Event.Tick;
            long before = trace.BytesRead;
            var output = new StringWriter();
            var filter = ShowFilter.All with { FromSeq = seq, To = tick + 3, Enters = true };
            int printed = TraceShow.Text(trace, filter, Formatter, output);
            printed.ShouldBeGreaterThan(0);
            output.ToString().ShouldContain($"#{seq} ");
            read.Add(trace.BytesRead - before);

            using Trace byTick = TraceReader.Open(path, verify: false);
            TraceShow.Text(byTick, ShowFilter.All with { From = tick, To = tick + 3 }, Formatter, new StringWriter()).ShouldBeGreaterThan(0);
            read.Add(byTick.BytesRead);
        }
        // Two passes over at most three blocks (the one before the range, the range, the one after): never the file.
        read.ShouldAllBe(bytes => bytes <= 6 * (TraceFormat.BlockTarget + 64));
        read.Max().ShouldBeLessThan(fileBytes / 2);
        (read.Max() - read.Min()).ShouldBeLessThanOrEqualTo(2 * (TraceFormat.BlockTarget + 64));
    }

    [Theory]
    [InlineData("--seq")]
    [InlineData("--from")]
    public void A_range_prints_what_the_whole_listing_prints_there(string option)
    {
        using var f = new TraceFixture();
        string path = f.Record("queue");
        var (_, all, _) = TraceFixture.Mk("trace", "show", path, "-T");
        string[] lines = all.Split('\n');
        string[] events = [.. lines.Where(l => l.StartsWith('#') && char.IsDigit(l[1]))];
        string middle = events[events.Length / 2];
        string seq = middle[1..middle.IndexOf(' ')];
        string tick = middle.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        var (code, part, err) = TraceFixture.Mk("trace", "show", path, "-T", option, option == "--seq" ? seq : tick);
        code.ShouldBe(ExitCodes.Ok, err);
        string[] shown = [.. part.Split('\n').Where(l => l.StartsWith('#') && char.IsDigit(l[1]))];
        shown.ShouldNotBeEmpty();
        shown.ShouldBe(events.SkipWhile(l => l != shown[0]).ToArray());
        if (option == "--seq") shown[0].ShouldStartWith($"#{seq} ");
    }

    [Fact]
    public void A_damaged_block_is_skipped_by_show_which_says_so_and_shows_the_rest()
    {
        using var f = new TraceFixture();
        string path = LongTraces.RecordFile(f, Calls);
        BlockInfo damaged, far;
        long lastSeq;
        using (Trace trace = TraceReader.Read(path))
        {
            damaged = trace.Index!.Blocks[3];
            far = trace.Index.Blocks[6];
            lastSeq = trace.Events.Count - 1;
        }
        byte[] bytes = File.ReadAllBytes(path);
        bytes[damaged.Offset + 100] ^= 0x10;
        File.WriteAllBytes(path, bytes);

        var (code, output, err) = TraceFixture.Mk("trace", "show", path);
        code.ShouldBe(ExitCodes.BadInput);
        output.ShouldContain($"# skipped events #{damaged.FirstSeq}..#{damaged.EndSeq - 1} (ticks {damaged.FirstTick}..{damaged.LastTick}): the block of events #{damaged.FirstSeq}.. fails its CRC-32 check");
        string[] lines = output.Split('\n');
        int skip = Array.FindIndex(lines, l => l.StartsWith("# skipped", StringComparison.Ordinal));
        SeqOf(lines[skip - 1]).ShouldBeLessThan(damaged.FirstSeq);
        SeqOf(lines[skip + 1]).ShouldBeGreaterThanOrEqualTo(damaged.EndSeq);
        output.ShouldContain($"\n#{lastSeq} ");
        err.ShouldContain($"offset {damaged.Offset}");
        err.ShouldContain($"skipped its events #{damaged.FirstSeq}..#{damaged.EndSeq - 1}");

        // Far from the range shown, the damaged block is not even read; replay and export refuse the trace whole.
        var (later, laterOutput, laterErr) = TraceFixture.Mk("trace", "show", path, "--seq", (far.FirstSeq + 10).ToString(CultureInfo.InvariantCulture));
        later.ShouldBe(ExitCodes.Ok, laterErr);
        laterOutput.ShouldContain($"\n#{lastSeq} ");
        TraceFixture.Mk("trace", "show", path, "--jsonl").Code.ShouldBe(ExitCodes.BadInput);
        var (exported, _, exportErr) = TraceFixture.Mk("trace", "export", "--format", "perfetto", path, f.PathOf("out.json"));
        exported.ShouldBe(ExitCodes.BadInput);
        exportErr.ShouldContain("CRC-32");
    }

    [Fact]
    public void A_damaged_index_or_footer_stops_every_command()
    {
        using var f = new TraceFixture();
        byte[] bytes = File.ReadAllBytes(LongTraces.RecordFile(f, 2000));
        byte[] footer = (byte[])bytes.Clone();
        footer[^3] ^= 1; // the footer's magic
        Should.Throw<TraceFormatException>(() => TraceReader.Open(() => new MemoryStream(footer), "footer", verify: false)).Message
            .ShouldContain("the footer does not point at the trailer");
        byte[] index = (byte[])bytes.Clone();
        index[^(TraceFormat.FooterSize + 6)] ^= 1; // inside the trailer's index
        Should.Throw<TraceFormatException>(() => TraceReader.Open(() => new MemoryStream(index), "index", verify: false)).Message
            .ShouldContain("trailer fails its CRC-32 check");
    }

    [Fact]
    public void A_divergence_at_a_blocks_first_event_still_shows_the_events_before_it()
    {
        using var f = new TraceFixture();
        using Trace trace = TraceReader.Read(LongTraces.RecordFile(f, 20_000));
        BlockInfo block = trace.Index!.Blocks[5];
        var checker = new ReplayChecker(trace.Events, 5);
        for (long seq = 0; seq < block.FirstSeq; seq++) checker.Emit(trace.Events[(int)seq].Event);
        KernelEvent first = trace.Events[(int)block.FirstSeq].Event;
        checker.Emit(first with { Result = first.Result + 1 });

        Divergence d = checker.Divergence.ShouldNotBeNull();
        d.Seq.ShouldBe(block.FirstSeq);
        d.Before.Select(e => e.Event.Seq).ShouldBe([.. Enumerable.Range(0, 5).Select(i => block.FirstSeq - 5 + i)]);
        d.Differences.ShouldContain(x => x.StartsWith("result:", StringComparison.Ordinal));
    }

    private static long SeqOf(string line) => long.Parse(line[1..line.IndexOf(' ')], CultureInfo.InvariantCulture);

    private static EventFormatter Formatter { get; } = new(TraceCommands.SyscallTable());
}
