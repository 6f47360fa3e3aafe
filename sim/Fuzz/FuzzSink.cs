using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Fuzz;

/// <summary>
/// Watches one kernel of a fuzz run: numbers every syscall (its index in the whole run), counts its result in the
/// tally, notices an undocumented error, remembers which syscall each thread is in (to name the one a panic hit), and
/// ends the kernel's run once the budget is spent.
/// </summary>
internal sealed class FuzzSink(Kernel kernel, SyscallTally tally, long firstIndex, long budget) : IEventSink
{
    // The console is not looked at: dropping it keeps a long run's memory flat.
    private const int ConsoleLimit = 1 << 20;

    private readonly Dictionary<int, Stack<(long Index, KernelEvent Enter)>> _inFlight = [];
    // Per thread, the syscall of its latest syscall event: entered (a panic there hit it) or returned (a panic next was right after it).
    private readonly Dictionary<int, (long Index, KernelEvent Enter)> _latest = [];
    private readonly EventFormatter _formatter = new(kernel.Syscalls);
    private (long Index, KernelEvent Enter)? _last;
    private bool _stopped;

    /// <summary>Syscalls issued in this kernel.</summary>
    public long Entered { get; private set; }

    /// <summary>The first undocumented error seen (the run was stopped there), or null.</summary>
    public (long Index, string Syscall, string Detail)? Undocumented { get; private set; }

    /// <summary>The syscall a panic on <paramref name="tid"/> happened in or right after: index and description.</summary>
    public (long Index, string Syscall) Where(int tid)
    {
        if (_latest.TryGetValue(tid, out var latest)) return Describe(latest);
        return _last is { } last ? Describe(last) : (firstIndex, "no syscall yet");
    }

    private (long, string) Describe((long Index, KernelEvent Enter) s)
    {
        string call = _formatter.FormatCall(s.Enter);
        call = call[..call.LastIndexOf(" = ", StringComparison.Ordinal)];
        return (s.Index, $"pid {s.Enter.Pid} tid {s.Enter.Tid}: {call}");
    }

    /// <inheritdoc />
    public void Emit(in KernelEvent e)
    {
        if (_stopped) return;
        if (e.Kind == EventKind.SyscallEnter)
        {
            Entered++;
            tally.RowOf(kernel.Syscalls, e.Code).Calls++;
            var record = (firstIndex + Entered - 1, e with { Io = null });
            if (!_inFlight.TryGetValue(e.Tid, out var stack)) _inFlight[e.Tid] = stack = new();
            stack.Push(record);
            _last = _latest[e.Tid] = record;
        }
        else if (e.Kind == EventKind.SyscallExit)
        {
            (long Index, KernelEvent Enter) record = _inFlight.TryGetValue(e.Tid, out var stack) && stack.Count > 0 ? stack.Pop() : (firstIndex + Entered - 1, e);
            _last = _latest[e.Tid] = record;
            if (!SyscallTally.Result(tally.RowOf(kernel.Syscalls, e.Code), e.Result))
            {
                (long index, string call) = Describe(record);
                Undocumented = (index, call, $"{_formatter.SyscallName(e.Code)} returned {EventFormatter.FormatResult(e.Result)}, an error its documentation does not list");
                Stop();
                return;
            }
            if (Entered >= budget) Stop();
        }
        if (kernel.ConsoleOutput.Length > ConsoleLimit) kernel.ConsoleOutput.Clear();
    }

    // Ends the run as the tick limit does: every process is killed and its threads unwind at their next kernel entry.
    private void Stop()
    {
        _stopped = true;
        foreach (Process p in kernel.Processes.ToList()) kernel.KillProcess(p, Kernel.KilledStatus);
    }
}
