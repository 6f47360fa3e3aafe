using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The event path allocates nothing: a syscall allocates the same bytes whether the kernel has no sink, a sink that
/// counts, or a trace writer listening (measured on the program's own host thread, where the syscall and every sink
/// run). The speed side is in TraceBenchmarks (docs/benchmarks.md).
/// </summary>
public class EventCostTests
{
    private const int Calls = 3000; // ~40 KB of trace for getpid: more than one block, so block writing is covered too

    [Fact]
    public void A_null_syscall_allocates_nothing_with_or_without_a_sink()
    {
        Action<Sys> getpid = sys => sys.Syscall(SyscallNumber.GetPid);
        // Less than one byte per call is nothing per call: the runtime itself may allocate a few bytes now and then on
        // the thread (a tier-up of a hot method), which an exact comparison would mistake for the event path.
        AllocatedBy(getpid, null).ShouldBeLessThan(Calls);
        AllocatedBy(getpid, new CountingSink()).ShouldBeLessThan(Calls);
        AllocatedBy(getpid, Recorder()).ShouldBeLessThan(Calls);
    }

    [Fact]
    public void Recording_a_syscall_that_reads_user_memory_allocates_nothing_more_than_the_syscall()
    {
        // write copies from user memory (recorded as the event's I/O) and makes its console string; the trace adds nothing.
        Action<Sys> print = sys => sys.Print("hello\n");
        long bare = AllocatedBy(print, null);
        (AllocatedBy(print, new CountingSink()) - bare).ShouldBeLessThan(Calls); // under a byte per call: nothing per call
        (AllocatedBy(print, Recorder()) - bare).ShouldBeLessThan(Calls);
    }

    [Fact]
    public void A_kept_event_owns_its_io_after_the_thread_reuses_its_buffer()
    {
        var log = new EventLog();
        var k = TestKernels.Boot();
        k.AddSink(log);
        k.Spawn("two", sys =>
        {
            sys.Print("first");
            sys.Print("other");
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        List<KernelEvent> writes = [.. log.Events.Where(e => e.Kind == EventKind.SyscallExit && e.Code == (long)SyscallNumber.Write)];
        writes.Count.ShouldBe(2);
        System.Text.Encoding.UTF8.GetString(writes[0].Io!.Single().Bytes.Span).ShouldBe("first");
        System.Text.Encoding.UTF8.GetString(writes[1].Io!.Single().Bytes.Span).ShouldBe("other");
    }

    [Fact]
    public void The_io_record_keeps_every_segment_when_its_buffer_fills_and_starts_empty_after_clear()
    {
        var record = new UserIoRecord();
        byte[] small = [1, 2, 3];
        byte[] large = [.. Enumerable.Range(0, 1000).Select(i => (byte)i)];
        record.Add(0x1000, small, written: false);
        record.Add(0x2000, large, written: true); // more than the buffer holds: a new one, the first segment intact
        record.Add(0x3000, small, written: false);
        record.Count.ShouldBe(3);
        record[0].Address.ShouldBe(0x1000UL);
        record[0].Bytes.ToArray().ShouldBe(small);
        record[1].Bytes.ToArray().ShouldBe(large);
        record[1].Written.ShouldBeTrue();
        record[2].Bytes.ToArray().ShouldBe(small);
        record.Select(u => u.Address).ShouldBe([0x1000UL, 0x2000UL, 0x3000UL]);
        Should.Throw<ArgumentOutOfRangeException>(() => record[3]);
        KernelEvent kept = new KernelEvent { Kind = EventKind.SyscallExit, Io = record }.Detached();
        record.Clear();
        record.Count.ShouldBe(0);
        record.Add(0x4000, [9, 9, 9], written: false);
        kept.Io!.Count.ShouldBe(3);
        kept.Io[0].Bytes.ToArray().ShouldBe(small);
        new KernelEvent { Kind = EventKind.Idle }.Detached().ShouldBe(new KernelEvent { Kind = EventKind.Idle });
    }

    private const int Rounds = 3;

    // Bytes allocated on the calling host thread by Calls calls of `call`, after as many calls to warm up (JIT, the
    // thread's I/O buffer, the trace's interned strings). The least of a few rounds: a cost of the event path comes
    // back in every round, while the runtime's own occasional allocation on the thread (a tier-up, a type load) lands
    // in one round and once failed CI by 7 KB when a single round was measured.
    private static long AllocatedBy(Action<Sys> call, IEventSink? sink)
    {
        var k = TestKernels.Boot();
        if (sink is not null) k.AddSink(sink);
        long allocated = long.MaxValue;
        k.Spawn("alloc", sys =>
        {
            for (int i = 0; i < Calls; i++) call(sys);
            for (int round = 0; round < Rounds; round++)
            {
                long before = GC.GetAllocatedBytesForCurrentThread();
                for (int i = 0; i < Calls; i++) call(sys);
                allocated = Math.Min(allocated, GC.GetAllocatedBytesForCurrentThread() - before);
            }
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        return allocated;
    }

    private static TraceWriter Recorder()
    {
        Scenario s = ScenarioRunner.Load("demo");
        return new TraceWriter(Stream.Null, TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config, TraceCommands.SyscallTable(),
            new Dictionary<string, string?>()), ownsStream: false);
    }

    private sealed class CountingSink : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e) => Count++;
    }
}
