using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// A syscall with no other event between its entry and exit reaches a sink that takes records as one
/// <see cref="SyscallRecord"/>, and the trace stores it as one record (docs/trace-format.md, "Syscall records"): every
/// sink still sees the same events in the same order, and every reader expands the record back into them.
/// </summary>
public sealed class SyscallRecordTests
{
    // A run with every kind of syscall neighbourhood: null syscalls, a yield that switches, a wait that blocks and a
    // notify that wakes it, console output with its I/O, memory, a sleep with nobody else to run, a refused syscall.
    private static void Workload(Kernel k)
    {
        k.Spawn("main", sys =>
        {
            int go = sys.NotifyCreate("go");
            sys.CreateThread((s, _) =>
            {
                s.Syscall(SyscallNumber.GetPid);
                s.Notify(go);
                s.PrintLine("from the thread");
                return 0;
            });
            for (int i = 0; i < 20; i++) sys.Syscall(SyscallNumber.GetPid);
            sys.Wait(go);
            ulong page = sys.Map(4096);
            sys.Memory.WriteUInt64(page, 42);
            sys.PrintLine("hello");
            sys.Syscall((SyscallNumber)250);
            return 0;
        });
        k.Spawn("other", sys =>
        {
            for (int i = 0; i < 5; i++) { sys.Syscall(SyscallNumber.GetTid); sys.Yield(); }
            sys.Sleep(3);
            return 0;
        });
    }

    [Fact]
    public void A_sink_that_takes_records_and_one_that_takes_events_see_the_same_events()
    {
        var k = TestKernels.Boot();
        var records = new EventLog();
        var events = new EventsOnlySink();
        var counter = new RecordCounter();
        k.AddSink(records);
        k.AddSink(events);
        k.AddSink(counter);
        Workload(k);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        records.Events.Select(SinkEvents.Describe).ShouldBe(events.Events.Select(SinkEvents.Describe));
        records.Events.Select(e => e.Seq).ShouldBe(Enumerable.Range(0, records.Events.Count).Select(i => (long)i));
        counter.Records.ShouldBeGreaterThan(20); // the getpid loop came as records
        (counter.Records * 2 + counter.Events).ShouldBe(records.Events.Count);
        counter.Events.ShouldBeGreaterThan(0); // the wait, the yields and the sleep came as events
    }

    [Fact]
    public void A_loop_of_one_syscall_reaches_a_record_sink_as_one_record_and_runs_of_repeats()
    {
        var k = TestKernels.Boot();
        var runs = new RepeatLogSink();
        var events = new EventsOnlySink();
        k.AddSink(runs);
        k.AddSink(events);
        k.Spawn("main", sys =>
        {
            for (int i = 0; i < 200; i++) sys.Syscall(SyscallNumber.GetPid);
            sys.PrintLine("done");
            for (int i = 0; i < 100; i++) sys.Syscall(SyscallNumber.GetTid);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        // The kernel counted the repeats: far fewer calls than syscalls, and what they expand to is every event.
        runs.Repeated.ShouldBeGreaterThan(250);
        runs.RepeatCalls.ShouldBeLessThan(20);
        runs.Events.Select(SinkEvents.Describe).ShouldBe(events.Events.Select(SinkEvents.Describe));
        runs.Events.Select(e => e.Seq).ShouldBe(Enumerable.Range(0, runs.Events.Count).Select(i => (long)i));
    }

    [Fact]
    public void Repeats_counted_by_the_kernel_give_the_trace_the_bytes_of_records_handed_out_one_at_a_time()
    {
        static void Loop(Kernel k)
        {
            Workload(k);
            k.Spawn("loop", sys =>
            {
                for (int i = 0; i < 40_000; i++) sys.Syscall(SyscallNumber.GetPid); // crosses block ends
                sys.Yield();
                for (int i = 0; i < 500; i++) sys.Syscall(SyscallNumber.GetTid);
                return 0;
            });
        }
        byte[] counted = Record(Loop, records: true, TraceFormat.Version);
        byte[] oneByOne = Record(Loop, records: true, TraceFormat.Version, oneAtATime: true);
        counted.ShouldBe(oneByOne);
    }

    [Fact]
    public void A_sink_that_takes_no_syscalls_gets_every_other_event_with_its_own_sequence_number()
    {
        var k = TestKernels.Boot();
        var all = new EventLog();
        var others = new NoSyscallsSink();
        k.AddSink(all);
        k.AddSink(others);
        Workload(k);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        others.Events.ShouldNotBeEmpty();
        others.Events.ShouldContain(e => e.Kind == EventKind.Console);
        others.Events.Select(SinkEvents.Describe).ShouldBe(all.Events.Where(e => e.Kind is not (EventKind.SyscallEnter or EventKind.SyscallExit)).Select(SinkEvents.Describe));
    }

    [Fact]
    public void A_loop_of_null_syscalls_costs_two_bytes_a_call_and_reads_back_as_its_events()
    {
        (Trace small, long smallBytes) = RecordLoop(1000);
        (Trace large, long largeBytes) = RecordLoop(3000);
        ((largeBytes - smallBytes) / 2000.0).ShouldBeInRange(2.0, 2.02); // 0xF1 and a tick delta of 1 (and the block index)
        small.Events.Count.ShouldBe(large.Events.Count - 4000);
        List<TraceEvent> getpids = [.. large.Events.Where(e => e.Event.Code == (long)SyscallNumber.GetPid)];
        getpids.Count.ShouldBe(6000);
        for (int i = 0; i < getpids.Count; i += 2)
        {
            KernelEvent enter = getpids[i].Event, exit = getpids[i + 1].Event;
            (enter.Kind, exit.Kind).ShouldBe((EventKind.SyscallEnter, EventKind.SyscallExit));
            exit.Seq.ShouldBe(enter.Seq + 1);
            exit.Tick.ShouldBe(enter.Tick);
            (enter.Result, exit.Result).ShouldBe((0L, 1L));
            if (i > 0) enter.Tick.ShouldBe(getpids[i - 1].Event.Tick + 1);
        }
    }

    [Fact]
    public void A_trace_with_syscall_records_reads_as_the_same_events_as_one_without()
    {
        byte[] v3 = RecordWorkload(records: true, version: TraceFormat.Version);
        byte[] v2 = RecordWorkload(records: false, version: TraceFormat.Version);
        v3.Length.ShouldBeLessThan(v2.Length);
        Trace old = TraceReader.Read(v2, "events"), now = TraceReader.Read(v3, "records");
        now.Events.Select(e => SinkEvents.Describe(e.Event) + (e.Io?.Describe() ?? "")).ShouldBe(old.Events.Select(e => SinkEvents.Describe(e.Event) + (e.Io?.Describe() ?? "")));
        now.Summary.ShouldBe(old.Summary);
    }

    [Fact]
    public void Another_version_is_refused()
    {
        foreach (int version in new[] { 2, 4 })
        {
            byte[] other = RecordWorkload(records: true, version);
            var e = Should.Throw<TraceFormatException>(() => TraceReader.Read(other, "other"));
            e.Message.ShouldContain($"format version {version}, but this build reads version 3");
        }
    }

    [PythonFact]
    public void The_python_reader_expands_syscall_records()
    {
        using var f = new TraceFixture();
        foreach ((bool records, int version) in new[] { (true, 3), (false, 3) })
        {
            string path = f.PathOf($"records-{records}.mktrace");
            File.WriteAllBytes(path, RecordWorkload(records, version));
            var (code, expected, err) = TraceFixture.Mk("trace", "show", path, "--jsonl");
            code.ShouldBe(ExitCodes.Ok, err);
            var (pyCode, actual, pyErr) = PythonReader.Run(path);
            pyErr.ShouldBeEmpty();
            pyCode.ShouldBe(0);
            actual.ShouldBe(expected);
        }
    }

    private static (Trace Trace, long Bytes) RecordLoop(int calls)
    {
        byte[] bytes = Record(k => k.Spawn("loop", sys =>
        {
            for (int i = 0; i < calls; i++) sys.Syscall(SyscallNumber.GetPid);
            return 0;
        }), records: true, TraceFormat.Version);
        return (TraceReader.Read(bytes, "loop"), bytes.Length);
    }

    private static byte[] RecordWorkload(bool records, int version) => Record(Workload, records, version);

    // Runs `spawn`'s programs with a trace writer; `records` false hands it every syscall as two events (a writer
    // behind a sink that does not take records writes no syscall record: what a version-2 writer wrote).
    private static byte[] Record(Action<Kernel> spawn, bool records, int version, bool oneAtATime = false)
    {
        Scenario demo = ScenarioRunner.Load("demo");
        TraceHeader header = TraceHeader.For(demo.Name, demo.Source, ScenarioRunner.BuiltInText("demo"), demo.Config,
            TraceCommands.SyscallTable(), new Dictionary<string, string?>()) with
        { FormatVersion = version };
        using var buffer = new MemoryStream();
        var writer = new TraceWriter(buffer, header, ownsStream: false);
        var k = TestKernels.Boot();
        k.AddSink(!records ? new Forward(writer) : oneAtATime ? new OneRecordAtATime(writer) : writer);
        spawn(k);
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        writer.Finish(r);
        return buffer.ToArray();
    }

    private sealed class Forward(IEventSink inner) : IEventSink
    {
        public void Emit(in KernelEvent e) => inner.Emit(in e);
    }

    // Takes records and hands them to the writer one at a time: the default EmitSyscallRepeats expands a run.
    private sealed class OneRecordAtATime(TraceWriter inner) : IEventSink
    {
        public void Emit(in KernelEvent e) => inner.Emit(in e);

        public bool TakesSyscallRecords => true;

        public void EmitSyscall(in SyscallRecord r) => inner.EmitSyscall(in r);
    }

    private sealed class RecordCounter : IEventSink
    {
        public long Events { get; private set; }

        public long Records { get; private set; }

        public void Emit(in KernelEvent e) => Events++;

        public bool TakesSyscallRecords => true;

        public void EmitSyscall(in SyscallRecord r) => Records++;
    }
}
