using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

// Event sinks the event-stream tests share (Tracing.SyscallRecordTests, Core.EventStreamTests): each is one of the
// kinds of sink a kernel hands its events to, so a test can check that every kind sees the same stream.

/// <summary>Events as text to compare: every field, and the user memory an event carries as hex.</summary>
internal static class SinkEvents
{
    public static string Describe(KernelEvent e) =>
        $"{e with { Io = null }} io={string.Join(",", (e.Io ?? []).Select(x => $"{x.Address:x}:{x.Written}:{Convert.ToHexString(x.Bytes.Span)}"))}";
}

/// <summary>Takes plain events only: the kernel expands every syscall record and run of repeats for it.</summary>
internal sealed class EventsOnlySink : IEventSink
{
    public List<KernelEvent> Events { get; } = [];

    public void Emit(in KernelEvent e) => Events.Add(e.Detached());
}

/// <summary>Takes syscall records and runs of repeats, expands them itself, and counts both.</summary>
internal sealed class RepeatLogSink : IEventSink
{
    public List<KernelEvent> Events { get; } = [];

    public long Records { get; private set; }

    public long RepeatCalls { get; private set; }

    public long Repeated { get; private set; }

    public void Emit(in KernelEvent e) => Events.Add(e.Detached());

    public bool TakesSyscallRecords => true;

    public void EmitSyscall(in SyscallRecord r)
    {
        Records++;
        Events.Add(r.Entry);
        Events.Add(r.Exit.Detached());
    }

    public void EmitSyscallRepeats(in SyscallRecord previous, long count, long tickStep)
    {
        RepeatCalls++;
        Repeated += count;
        previous.Io.ShouldBeNull();
        previous.Instructions.ShouldBe(0);
        count.ShouldBeGreaterThan(0);
        for (long i = 1; i <= count; i++)
        {
            SyscallRecord r = previous with { Seq = previous.Seq + 2 * i, Tick = previous.Tick + tickStep * i };
            Events.Add(r.Entry);
            Events.Add(r.Exit);
        }
    }
}

/// <summary>Takes no syscall events at all (<see cref="IEventSink.TakesSyscalls"/> false): it must never see one.</summary>
internal sealed class NoSyscallsSink : IEventSink
{
    public List<KernelEvent> Events { get; } = [];

    public void Emit(in KernelEvent e)
    {
        e.Kind.ShouldNotBe(EventKind.SyscallEnter);
        e.Kind.ShouldNotBe(EventKind.SyscallExit);
        Events.Add(e.Detached());
    }

    public bool TakesSyscalls => false;
}
