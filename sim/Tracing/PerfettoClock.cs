using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// Perfetto time for a stream of events, the same numbers as <see cref="PerfettoExporter.Timestamps"/> without an
/// array: an event's time in ns is its tick times <see cref="TickNs"/> plus <see cref="PerfettoExporter.Gap"/> times
/// its rank among the events of its tick. The tick's width depends on the busiest tick, so a first pass over the
/// events (<see cref="Measure"/>) finds it; the exporter then reads the events a second time.
/// </summary>
internal sealed class PerfettoClock
{
    private long _tick = -1;
    private long _rank;

    private PerfettoClock(long tickNs, int firstThread, string firstThreadName)
    {
        TickNs = tickNs;
        FirstThread = firstThread;
        FirstThreadName = firstThreadName;
    }

    /// <summary>Nanoseconds of one tick: 1 µs, or the first power of ten that holds the busiest tick's events.</summary>
    public long TickNs { get; }

    /// <summary>The thread dispatched first (<see cref="TraceAnalysis.FirstThread"/>), 0 when none.</summary>
    public int FirstThread { get; }

    /// <summary>Its name on the CPU track ("process/thread (pid P tid T)"), known before its start event is read again.</summary>
    public string FirstThreadName { get; }

    /// <summary>The first pass: the busiest tick, and the first thread and its name. Reads every event once.</summary>
    public static PerfettoClock Measure(IEnumerable<TraceEvent> events)
    {
        int most = 0, run = 0, first = 0;
        long tick = -1;
        var processName = new Dictionary<int, string>();
        var threadName = new Dictionary<int, string>();
        foreach (TraceEvent te in events)
        {
            KernelEvent e = te.Event;
            run = e.Tick == tick ? run + 1 : 1;
            tick = e.Tick;
            most = Math.Max(most, run);
            // Names only until the first thread is known: a few boot events.
            if (first != 0) continue;
            if (e.Kind == EventKind.ProcessStart) processName[e.Pid] = e.Text ?? "";
            else if (e.Kind == EventKind.ThreadStart) threadName[e.Tid] = ThreadName(processName, e);
            else if (e.Tid != 0) first = e.Tid;
        }
        long tickNs = 1000;
        while (most * PerfettoExporter.Gap > tickNs) tickNs *= 10;
        return new PerfettoClock(tickNs, first, threadName.GetValueOrDefault(first) ?? $"tid {first}");
    }

    /// <summary>The CPU track's name for a thread: "process/thread (pid P tid T)", as the JSON export writes it.</summary>
    public static string ThreadName(IReadOnlyDictionary<int, string> processName, KernelEvent threadStart) =>
        $"{processName.GetValueOrDefault(threadStart.Pid)}/{threadStart.Text} (pid {threadStart.Pid} tid {threadStart.Tid})";

    /// <summary>The time of the next event (events in sequence order), in ns.</summary>
    public long Next(long tick)
    {
        _rank = tick == _tick ? _rank + 1 : 0;
        _tick = tick;
        return tick * TickNs + _rank * PerfettoExporter.Gap;
    }
}
