using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

public class FormatTests
{
    private static TraceHeader Header(int maxStored = 64 * 1024, bool seedOption = true)
    {
        Scenario s = ScenarioRunner.Load("demo");
        return TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(),
            seedOption ? new Dictionary<string, string?> { ["seed"] = "5", ["scheduler"] = null } : new Dictionary<string, string?>()) with
        { MaxStoredReadBytes = maxStored };
    }

    [Fact]
    public void Every_field_survives_the_round_trip()
    {
        var events = new List<KernelEvent>
        {
            new() { Seq = 0, Kind = EventKind.ProcessStart, Pid = 1, Text = "p" },
            new() { Seq = 1, Tick = 3, Kind = EventKind.SyscallEnter, Pid = 1, Tid = 1, Code = 11, A0 = ulong.MaxValue, A1 = 5, A5 = 1UL << 63, Instructions = 123_456_789 },
            new() { Seq = 2, Tick = 3, Kind = EventKind.Console, Pid = 1, Tid = 1, Text = new string('x', 500) + "é\n" },
            new()
            {
                Seq = 3, Tick = 3, Kind = EventKind.SyscallExit, Pid = 1, Tid = 1, Code = 11, A0 = ulong.MaxValue, A1 = 5, A5 = 1UL << 63, Result = long.MinValue,
                Instructions = 123_456_789, Io = [new UserIo(0x1000, new byte[] { 1, 2, 3 }, false), new UserIo(0x2000, new byte[] { 9, 9 }, true), new UserIo(0x3000, new byte[] { 4 }, false)],
            },
            new() { Seq = 4, Tick = 4, Kind = EventKind.SyscallEnter, Pid = 1, Tid = 1, Code = 7 },
            new() { Seq = 5, Tick = 9, Kind = EventKind.SyscallExit, Pid = 1, Tid = 1, Code = 8, A0 = 1, Result = -3 }, // not the entry's call
            new() { Seq = 6, Tick = 9, Kind = EventKind.Switch, Pid = 1, Tid = 1, A0 = 2, A1 = 2, Text = "preempt" },
            new() { Seq = 7, Tick = 12, Kind = EventKind.Switch, Pid = 2, Tid = 2, A0 = 1, A1 = 1, Text = "preempt" },
            new() { Seq = 8, Tick = 1_000_000_000_000, Kind = (EventKind)200, Text = "" },
        };
        var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, Header(), ownsStream: false);
        foreach (KernelEvent e in events) writer.Emit(e);
        writer.Finish(new RunResult(RunOutcome.TickLimit, 1_000_000_000_000, 2, [], null, null));
        writer.EventCount.ShouldBe(events.Count);
        writer.BytesWritten.ShouldBe(buffer.Length);

        Trace trace = TraceReader.Read(buffer.ToArray(), "synthetic");
        trace.Events.Count.ShouldBe(events.Count);
        for (int i = 0; i < events.Count; i++)
        {
            trace.Events[i].Event.ShouldBe(events[i] with { Io = null });
            trace.Events[i].Differences(TraceEvent.From(events[i], 0)).ShouldBeEmpty();
        }
        TraceIo io = trace.Events[3].Io!;
        io.Segments.Select(s => (s.Address, s.Length, s.Written)).ShouldBe([(0x1000UL, 3, false), (0x2000UL, 2, true), (0x3000UL, 1, false)]);
        io.Segments[0].Bytes.ShouldBe(new byte[] { 1, 2, 3 });
        io.Segments[1].Bytes.ShouldBeNull();
        io.WrittenDigest.ShouldBe(TraceIo.Digest(events[3].Io!, written: true));
        io.WrittenDigest.ShouldNotBe(0UL);
        trace.Summary.ShouldBe(new TraceSummary(events.Count, RunOutcome.TickLimit, 1_000_000_000_000, 2));
        trace.Header.Options["seed"].ShouldBe("5");
        trace.Header.Options["scheduler"].ShouldBeNull();
        trace.Header.Config.ShouldBe(Header().Config);
    }

    [Fact]
    public void A_changed_byte_of_user_memory_changes_the_digest()
    {
        ulong a = TraceIo.Digest([new UserIo(0x1000, new byte[] { 1, 2, 3 }, false)], written: false);
        TraceIo.Digest([new UserIo(0x1000, new byte[] { 1, 2, 4 }, false)], written: false).ShouldNotBe(a);
        TraceIo.Digest([new UserIo(0x1001, new byte[] { 1, 2, 3 }, false)], written: false).ShouldNotBe(a);
        TraceIo.Digest([new UserIo(0x1000, new byte[] { 1, 2, 3 }, true)], written: false).ShouldBe(0UL);
        // FNV-1a 64 of "a": the published test vector.
        Fnv1a64.Append(Fnv1a64.Basis, "a"u8).ShouldBe(0xaf63dc4c8601ec8cUL);
        Crc32.Compute("123456789"u8).ShouldBe(0xCBF43926u);
    }

    [Fact]
    public void The_crc_whole_and_piecewise_is_the_published_one()
    {
        Crc32.Compute("The quick brown fox jumps over the lazy dog"u8).ShouldBe(0x414FA339u);
        Crc32.Compute([]).ShouldBe(0u);
        byte[] data = [.. Enumerable.Range(0, 100).Select(i => (byte)(i * 37 + 11))];
        var reused = new System.IO.Hashing.Crc32();
        for (int length = 0; length <= data.Length; length++)
        {
            // The reference: the classic bit-at-a-time loop over the reflected polynomial.
            uint reference = 0xFFFFFFFFu;
            foreach (byte b in data.AsSpan(0, length))
            {
                reference ^= b;
                for (int k = 0; k < 8; k++) reference = (reference & 1) != 0 ? 0xEDB88320u ^ (reference >> 1) : reference >> 1;
            }
            Crc32.Compute(data.AsSpan(0, length)).ShouldBe(~reference);
            int split = length / 3;
            Crc32.Compute(reused, data.AsSpan(0, split), data.AsSpan(split, length - split)).ShouldBe(~reference);
            TraceWriter.Crc32Of(data.AsSpan(0, split), data.AsSpan(split, length - split)).ShouldBe(~reference);
        }
    }

    [Fact]
    public void Large_reads_keep_only_a_digest_and_puppets_say_they_cannot_supply_them()
    {
        Scenario s = ScenarioRunner.Load("demo");
        var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, Header(maxStored: 16, seedOption: false), ownsStream: false);
        var log = new EventLog();
        writer.Finish(ScenarioRunner.Boot(s, [log, writer]).Run());

        Trace trace = TraceReader.Read(buffer.ToArray(), "digests");
        trace.Header.MaxStoredReadBytes.ShouldBe(16);
        for (int i = 0; i < log.Events.Count; i++) trace.Events[i].Differences(TraceEvent.From(log.Events[i], 0)).ShouldBeEmpty();
        trace.Events.Where(t => t.Io is not null).ShouldAllBe(t => t.Io!.ReadBytesStored == t.Io.ReadBytes <= 16);

        Replayer.Replay(trace, new ReplayOptions()).Divergence.ShouldBeNull(); // the programs supply their own bytes
        ReplayResult puppets = Replayer.Replay(trace, new ReplayOptions(SyscallsOnly: true));
        puppets.Notes.ShouldContain(n => n.Contains("keeps only a digest"));
        puppets.Divergence.ShouldNotBeNull(); // the console text (and the read digest) cannot match
    }
}
