using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>Facts derived from a recorded event stream that the kernel does not emit as such.</summary>
internal static class TraceAnalysis
{
    /// <summary>
    /// The thread the scheduler dispatched first (the first dispatch has no Switch event: there was no previous
    /// thread). Boot emits only process and thread starts; the first event after them belongs to the first thread
    /// (a Switch event belongs to the thread switched away from). 0 when the trace has no such event.
    /// </summary>
    public static int FirstThread(IReadOnlyList<TraceEvent> events)
    {
        foreach (TraceEvent t in events)
            if (t.Event.Kind is not (EventKind.ProcessStart or EventKind.ThreadStart) && t.Event.Tid != 0) return t.Event.Tid;
        return 0;
    }
}
