using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The kernel's event stream as its sinks see it: every kind of sink (one that takes syscall records, one that takes
/// events, one that counts repeats itself, one that takes no syscalls) gets the same events in the same order, numbered
/// from 0 without gaps, whatever happens between a syscall's entry and exit; a sink added while the run goes sees what
/// happens from then on.
/// </summary>
public sealed class EventStreamTests
{
    private static readonly int[] Extras = [0, 0, 0, 1, 1, 2, 0, 0];

    // A run with every neighbourhood of a syscall the kernel treats apart: loops of one call (repeats), calls that differ
    // in one argument only, a call whose result changes (time), repeats with a changing step in time, console output
    // with its I/O, an unknown syscall, a wait that blocks and a notify that wakes it, a join, yields that switch, a
    // sleep with nobody else to run, a fault.
    private static void Workload(Kernel k)
    {
        k.Spawn("main", sys =>
        {
            int go = sys.NotifyCreate("go");
            int helper = sys.CreateThread((s, _) =>
            {
                s.Syscall(SyscallNumber.GetPid);
                s.Notify(go);
                s.PrintLine("from the helper");
                return 7;
            });
            for (int i = 0; i < 20; i++) sys.Syscall(SyscallNumber.GetPid);
            for (int position = 0; position < 6; position++)
                for (ulong value = 1; value <= 2; value++)
                    for (int again = 0; again < 2; again++)
                        sys.Syscall(SyscallNumber.GetPid, position == 0 ? value : 0, position == 1 ? value : 0, position == 2 ? value : 0,
                            position == 3 ? value : 0, position == 4 ? value : 0, position == 5 ? value : 0);
            for (int i = 0; i < 5; i++) sys.Syscall(SyscallNumber.Time);
            ulong page = sys.Map(4096);
            for (int i = 0; i < 6; i++)
            {
                sys.Syscall(SyscallNumber.GetTid);
                for (int j = 0; j < 70 * (i % 3); j++) sys.Memory.ReadUInt64(page); // 0, 1 or 2 more ticks between calls
            }
            sys.Wait(go);
            sys.Print("hello");
            sys.Print("hello");
            sys.Syscall(SyscallNumber.GetPid);
            sys.Syscall(SyscallNumber.GetPid);
            for (int i = 0; i < 3; i++) sys.Syscall((SyscallNumber)250);
            sys.Join(helper).ShouldBe(7);
            return 0;
        });
        k.Spawn("other", sys =>
        {
            for (int i = 0; i < 5; i++)
            {
                sys.Syscall(SyscallNumber.GetTid);
                sys.Yield();
            }
            sys.Sleep(3);
            for (int i = 0; i < 4; i++) sys.Syscall(SyscallNumber.GetTid);
            return 0;
        });
        k.Spawn("faulty", sys =>
        {
            sys.Syscall(SyscallNumber.GetPid);
            sys.Memory.ReadUInt64(0x10); // nothing is mapped there
            return 0;
        });
    }

    [Fact]
    public void Every_kind_of_sink_sees_the_same_events_numbered_from_zero_without_gaps()
    {
        var k = TestKernels.Boot();
        var records = new EventLog();
        var events = new EventsOnlySink();
        var runs = new RepeatLogSink();
        var others = new NoSyscallsSink();
        k.AddSink(records);
        k.AddSink(events);
        k.AddSink(runs);
        k.AddSink(others);
        Workload(k);
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);

        List<string> expected = [.. events.Events.Select(SinkEvents.Describe)];
        records.Events.Select(SinkEvents.Describe).ShouldBe(expected);
        runs.Events.Select(SinkEvents.Describe).ShouldBe(expected);
        others.Events.Select(SinkEvents.Describe).ShouldBe(events.Events.Where(e => e.Kind is not (EventKind.SyscallEnter or EventKind.SyscallExit)).Select(SinkEvents.Describe));
        events.Events.Select(e => e.Seq).ShouldBe(Enumerable.Range(0, events.Events.Count).Select(i => (long)i));
        runs.Repeated.ShouldBeGreaterThan(15); // the getpid loop came as runs of repeats
        runs.Records.ShouldBeGreaterThan(20);

        // Each exit follows its own entry: the same thread, call and arguments, no earlier in time.
        var open = new Dictionary<int, KernelEvent>();
        foreach (KernelEvent e in events.Events)
        {
            if (e.Kind == EventKind.SyscallEnter) open.Add(e.Tid, e);
            else if (e.Kind == EventKind.SyscallExit)
            {
                open.Remove(e.Tid, out KernelEvent entry).ShouldBeTrue();
                (entry.Pid, entry.Code, entry.A0, entry.A1, entry.A2, entry.A3, entry.A4, entry.A5)
                    .ShouldBe((e.Pid, e.Code, e.A0, e.A1, e.A2, e.A3, e.A4, e.A5));
                e.Tick.ShouldBeGreaterThanOrEqualTo(entry.Tick);
            }
        }

        // What the calls returned, as every sink saw it.
        int main = r.Processes.Single(p => p.Name == "main").Pid;
        List<KernelEvent> exits = [.. records.Events.Where(e => e.Kind == EventKind.SyscallExit && e.Pid == main)];
        exits.Where(e => e.Code == (long)SyscallNumber.GetPid).ShouldAllBe(e => e.Result == main);
        List<long> times = [.. exits.Where(e => e.Code == (long)SyscallNumber.Time).Select(e => e.Result)];
        times.Count.ShouldBe(5);
        times.ShouldBe(times.Order().Distinct()); // a call whose result changes is no repeat
        exits.Where(e => e.Code == 250).ShouldAllBe(e => e.Result == (long)ErrorCode.UnknownSyscall);
        List<KernelEvent> writes = [.. exits.Where(e => e.Code == (long)SyscallNumber.Write)];
        writes.Count.ShouldBe(3); // the helper's line and the two hellos
        writes.ShouldAllBe(e => e.Io != null && e.Io.Count == 1);
        // The getpids right after the writes carry no I/O of theirs.
        exits.SkipWhile(e => e.Code != (long)SyscallNumber.Write).Where(e => e.Code != (long)SyscallNumber.Write).ShouldAllBe(e => e.Io == null);
    }

    [Fact]
    public void A_repeated_call_with_a_changing_step_in_time_keeps_each_calls_own_tick()
    {
        var k = TestKernels.Boot();
        var events = new EventsOnlySink();
        var runs = new RepeatLogSink();
        k.AddSink(events);
        k.AddSink(runs);
        k.Spawn("steps", sys =>
        {
            ulong page = sys.Map(4096);
            foreach (int extra in Extras)
            {
                sys.Syscall(SyscallNumber.GetPid);
                for (int j = 0; j < 64 * extra; j++) sys.Memory.ReadUInt64(page);
            }
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        runs.Events.Select(SinkEvents.Describe).ShouldBe(events.Events.Select(SinkEvents.Describe));
        List<long> ticks = [.. events.Events.Where(e => e.Kind == EventKind.SyscallExit && e.Code == (long)SyscallNumber.GetPid).Select(e => e.Tick)];
        ticks.Count.ShouldBe(8);
        List<long> steps = [.. ticks.Zip(ticks.Skip(1), (a, b) => b - a)];
        steps.ShouldBe([1, 1, 1, 2, 2, 3, 1]);
    }

    [Fact]
    public void A_sink_added_by_a_program_sees_what_happens_from_then_on_and_nothing_before()
    {
        var k = TestKernels.Boot();
        var first = new EventLog();
        var later = new EventLog();
        k.AddSink(first);
        k.Spawn("adds", sys =>
        {
            for (int i = 0; i < 10; i++) sys.Syscall(SyscallNumber.GetPid); // repeats the kernel still holds
            k.AddSink(later);
            sys.Syscall(SyscallNumber.Time);
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        later.Events.Select(e => (e.Kind, e.Code)).ShouldBe([
            (EventKind.SyscallEnter, (long)SyscallNumber.Time), (EventKind.SyscallExit, (long)SyscallNumber.Time),
            (EventKind.ThreadExit, 0), (EventKind.ProcessExit, 0),
        ]);
        // The same events the first sink got, with the same numbers: the run's numbering does not start over.
        later.Events.Select(SinkEvents.Describe).ShouldBe(first.Events.Skip(first.Events.Count - 4).Select(SinkEvents.Describe));
        first.Events.Count(e => e.Kind == EventKind.SyscallExit && e.Code == (long)SyscallNumber.GetPid).ShouldBe(10);
    }

    [Fact]
    public void A_sink_added_while_a_syscall_entered_sees_that_syscall()
    {
        var k = TestKernels.Boot();
        var log = new EventLog();
        bool added = false;
        int firstSeen = -1;
        const int Calls = 12;
        Process caller = k.Spawn("caller", sys =>
        {
            for (int i = 0; i < Calls; i++)
            {
                sys.Syscall(SyscallNumber.GetPid);
                if (added && firstSeen < 0) firstSeen = i; // this call returned after the sink came
            }
            return 0;
        });
        k.Spawn("adder", sys =>
        {
            k.AddSink(log);
            added = true;
            for (int i = 0; i < 3; i++) sys.Yield();
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        firstSeen.ShouldBeInRange(1, Calls - 2); // the caller was switched away inside a getpid, then came back
        List<KernelEvent> calls = [.. log.Events.Where(e => e.Pid == caller.Pid && e.Code == (long)SyscallNumber.GetPid)];
        calls.Count(e => e.Kind == EventKind.SyscallEnter).ShouldBe(Calls - firstSeen);
        calls.Count(e => e.Kind == EventKind.SyscallExit).ShouldBe(Calls - firstSeen);
        log.Events.Select(e => e.Seq).ShouldBe(Enumerable.Range(0, log.Events.Count).Select(i => (long)i));
    }

    [Fact]
    public void A_sink_that_takes_no_syscalls_costs_the_syscalls_nothing_and_gets_every_other_event()
    {
        var k = TestKernels.Boot();
        var others = new NoSyscallsSink();
        k.AddSink(others);
        k.Tracing.ShouldBeTrue();
        Process p = k.Spawn("quiet", sys =>
        {
            for (int i = 0; i < 5; i++) sys.Syscall(SyscallNumber.GetPid);
            sys.PrintLine("hi");
            return 3;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);

        others.Events.Select(e => e.Kind).ShouldBe([EventKind.ProcessStart, EventKind.ThreadStart, EventKind.Console, EventKind.ThreadExit, EventKind.ProcessExit]);
        others.Events.Select(e => e.Seq).ShouldBeInOrder(SortDirection.Ascending);
        others.Events[^1].Code.ShouldBe(3);
        others.Events.ShouldAllBe(e => e.Pid == p.Pid);
    }

    [Fact]
    public void Without_a_sink_nothing_is_traced()
    {
        var k = TestKernels.Boot();
        k.Tracing.ShouldBeFalse();
        k.Spawn("alone", sys => sys.Pid);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        k.Tracing.ShouldBeFalse();
    }
}
