using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The trace writer counts a run of "again" syscall records (a record that repeats the previous one but for its
/// time, docs/trace-format.md "Syscall records") instead of writing each as it comes, and writes the run when it
/// ends: the file must be byte for byte what writing them one at a time gave, blocks cut at the same places.
/// </summary>
public sealed class AgainRunTests
{
    [Fact]
    public void Counted_runs_read_back_as_their_events_across_blocks()
    {
        List<Item> items = Workload(seed: 7);
        (byte[] bytes, long count) = Write(items);
        List<KernelEvent> expected = [.. items.SelectMany(Expand)];
        count.ShouldBe(expected.Count);

        Trace trace = TraceReader.Read(bytes, "again runs");
        trace.Index!.Blocks.Count.ShouldBeGreaterThan(3); // runs crossed block ends
        trace.Events.Select(e => e.Event with { Io = null }).ShouldBe(expected.Select(e => e with { Io = null }));
    }

    [Fact]
    public void The_event_count_includes_the_records_not_written_yet()
    {
        var writer = new TraceWriter(new MemoryStream(), Header(), ownsStream: false);
        for (int i = 0; i < 10; i++) writer.EmitSyscall(GetPid(seq: 2 * i, tick: i + 1));
        writer.EventCount.ShouldBe(20);
    }

    // What the kernel would hand a writer: syscall records and other events, in seq order. Runs of the same getpid
    // one tick apart (a loop), three apart, with a step that changes inside the run; other calls; records with I/O
    // (never "again"); switches between them. Enough to fill several 32 KiB blocks.
    private static List<Item> Workload(int seed)
    {
        var random = new TestRandom((ulong)seed);
        var items = new List<Item>();
        long seq = 0, tick = 0;
        while (items.Count < 60_000)
        {
            int run = random.Next(1, 5000), step = random.Next(4) == 0 ? 3 : 1;
            for (int i = 0; i < run; i++)
            {
                tick += i == run / 2 && random.Next(2) == 0 ? step + 2 : step;
                items.Add(new Item(GetPid(seq, tick), null));
                seq += 2;
            }
            switch (random.Next(3))
            {
                case 0:
                    items.Add(new Item(null, new KernelEvent { Seq = seq++, Tick = tick, Pid = 1, Tid = 1, Kind = EventKind.Switch, A0 = 1, A1 = 1, Text = "yield" }));
                    break;
                case 1:
                    items.Add(new Item(new SyscallRecord(seq, tick, 1, 1, (long)SyscallNumber.Map, new SyscallArgs(4096, 3, 0, 0, 0, 0), 0x10000000, 0, null), null));
                    seq += 2;
                    break;
                default:
                    items.Add(new Item(new SyscallRecord(seq, tick, 1, 1, (long)SyscallNumber.GetPid, default, 1, 0, [new UserIo(0x1000, new byte[] { 7 }, true)]), null));
                    seq += 2;
                    break;
            }
        }
        return items;
    }

    private static SyscallRecord GetPid(long seq, long tick) => new(seq, tick, 1, 1, (long)SyscallNumber.GetPid, default, 1, 0, null);

    private static IEnumerable<KernelEvent> Expand(Item item) =>
        item.Record is { } r ? [r.Entry, r.Exit] : [item.Event!.Value];

    private static (byte[] Bytes, long Events) Write(List<Item> items)
    {
        var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, Header(), ownsStream: false);
        foreach (Item item in items)
        {
            if (item.Record is { } r) writer.EmitSyscall(r);
            else writer.Emit(item.Event!.Value);
        }
        long count = writer.EventCount;
        writer.Finish(new RunResult(RunOutcome.Completed, items.Count, 0, [], null, null));
        return (buffer.ToArray(), count);
    }

    private static TraceHeader Header()
    {
        Scenario s = ScenarioRunner.Load("demo");
        return TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(), new Dictionary<string, string?>());
    }

    private sealed record Item(SyscallRecord? Record, KernelEvent? Event);
}
