using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Runtime.CompilerServices;
using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using HostThread = System.Threading.Thread;

namespace MicroKernel;

// One simulated CPU, enforced: the host threads behind simulated threads. Only the host thread that holds the CPU
// may use a thread's port (memory, syscalls, ticks); a killed thread that swallows its termination is counted out;
// the watchdog takes the CPU from a C# loop that never reaches a scheduling point; Dispose releases parked host threads.
public sealed partial class Kernel : IDisposable
{
    /// <summary>Kernel entries a killed thread may make after its termination was thrown (cleanup in finally blocks).</summary>
    internal const int SwallowLimit = 16;

    // A host thread that comes back after Dispose released it waits here for good: parked, it costs no CPU.
    private static readonly ManualResetEventSlim Graveyard = new(false);

    private readonly List<string> _hostReports = [];
    private readonly HashSet<SimThread> _liveHosts = [];
    private volatile bool _disposed;
    private bool _watchdogFired;
    private long _watchProgress = -1;
    private long _watchSince;
    private long _watchLastLook;

    /// <summary>True once <see cref="Dispose"/> ran.</summary>
    public bool IsDisposed => _disposed;

    private int _hostThreadsStarted;

    /// <summary>Host threads of this kernel that have not ended (parked ones and runners of inline threads included).</summary>
    internal int LiveHostThreads
    {
        get
        {
            lock (_liveHosts) return _liveHosts.Count + Scheduler.LiveRunners;
        }
    }

    /// <summary>
    /// Host threads this kernel has started so far: one per host-threaded simulated thread (a C# program's), plus the
    /// runners of inline threads (x86 programs'), which a switch between two inline threads does not need more of
    /// (docs/architecture.md, "Threads without host threads").
    /// </summary>
    public int HostThreadsStarted
    {
        get
        {
            lock (_liveHosts) return _hostThreadsStarted + Scheduler.RunnersStarted;
        }
    }

    /// <summary>
    /// Reports about host threads so far, in the order they happened: refused foreign host threads, killed threads that
    /// swallowed their termination, runaways the watchdog stopped.
    /// </summary>
    public IReadOnlyList<string> HostReports
    {
        get
        {
            lock (_hostReports) return _hostReports.ToList();
        }
    }

    /// <summary>
    /// Releases every host thread still parked (threads spawned but never run, threads left after an abnormal end,
    /// threads that swallowed their termination); each unwinds without touching the kernel. Call it after
    /// <see cref="Run"/> returns, or instead of running. A runaway's host thread cannot be stopped from outside: it
    /// ends at its next access to the kernel.
    /// </summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        HostWatchdog.Unwatch(this);
        List<SimThread> parked;
        lock (_liveHosts) parked = _liveHosts.Where(t => !t.IsRunningAway).ToList();
        foreach (SimThread t in parked) t.Resume();
        // Runners end too; one parked inside the kernel for an inline thread unwinds that thread first.
        List<CpuRunner> runners = Scheduler.ReleaseRunners();
        // Wait (bounded) for them, so that a caller sees the threads gone; a released thread runs only its unwinding,
        // unless its program catches that too and comes back (it then parks for good: no point waiting for it).
        long deadline = Stopwatch.GetTimestamp() + 5 * Stopwatch.Frequency;
        foreach (SimThread t in parked)
            while (!t.JoinHost(TimeSpan.FromMilliseconds(10)) && !t.InGraveyard && Stopwatch.GetTimestamp() < deadline) { }
        foreach (CpuRunner r in runners)
            while (!r.Join(TimeSpan.FromMilliseconds(10)) && r.Running is not { InGraveyard: true } && Stopwatch.GetTimestamp() < deadline) { }
    }

    internal void HostThreadStarted(SimThread t)
    {
        lock (_liveHosts)
        {
            _liveHosts.Add(t);
            _hostThreadsStarted++;
        }
    }

    /// <summary>
    /// An inline thread suspended at a scheduling point was dispatched again (on a runner): the rest of that point, as
    /// a host-threaded thread runs it after its gate opens: unwind if it was killed meanwhile, then its pending handlers.
    /// </summary>
    internal void ResumeAtSchedulingPoint(SimThread thread)
    {
        if (_disposed) throw new ThreadTerminatedException();
        if (thread.MustUnwind) throw thread.Terminating();
        try
        {
            if (thread.Process.PendingUpcalls != 0) UpcallPoint(thread);
        }
        catch (ThreadTerminatedException)
        {
            throw;
        }
        catch (Exception e)
        {
            throw Unwinding(thread, e);
        }
    }

    internal void HostThreadEnded(SimThread t)
    {
        lock (_liveHosts) _liveHosts.Remove(t);
    }

    /// <summary>Refuses a memory access made through <paramref name="port"/> by a host thread that does not hold the CPU.</summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    internal void RefuseForeignHost(SimThread port, string what, ulong address, int length) =>
        RefuseForeignHost(port, length > 0 ? $"{what} of {length} bytes at 0x{address:x}" : what);

    /// <summary>
    /// Refuses a use of <paramref name="port"/> by a host thread that does not hold the CPU: records a report naming
    /// the host thread, the port and the attempt, and throws <see cref="CpuNotHeldException"/> at the caller. An
    /// abandoned thread's own host thread is not reported again: it unwinds (or parks).
    /// </summary>
    [DoesNotReturn, MethodImpl(MethodImplOptions.NoInlining)]
    internal void RefuseForeignHost(SimThread port, string what)
    {
        int me = Environment.CurrentManagedThreadId;
        if (me == port.HostId && port.Abandoned) RefuseAbandoned(port);
        string name = HostThread.CurrentThread.Name is { } n ? $"'{n}'" : "(unnamed)";
        SimThread? holder = Scheduler.Current;
        string report = $"cpu: host thread {me.ToString(CultureInfo.InvariantCulture)} {name} used the port of {port} for a {what} "
            + $"while {(holder is null ? "no thread" : holder.ToString())} held the CPU: refused";
        AddHostReport(report);
        throw new CpuNotHeldException(report);
    }

    /// <summary>Checks that the calling host thread holds the CPU for <paramref name="thread"/> (kernel entries).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal void CheckHolder(SimThread thread, string what)
    {
        if (SimThread.CurrentHostId != thread.CpuHolderId) RefuseForeignHost(thread, what);
    }

    /// <summary>
    /// A kernel entry by a thread that must unwind. A killed thread that keeps coming back after its termination was
    /// thrown (it catches <see cref="ThreadTerminatedException"/>) is reported and counted out.
    /// </summary>
    [DoesNotReturn]
    internal void UnwindAgain(SimThread thread)
    {
        if (thread.TerminationThrown && ++thread.EntriesAfterTermination >= SwallowLimit)
            SwallowedTermination(thread, $"re-entered the kernel {SwallowLimit} times after its termination (it catches ThreadTerminatedException)");
        throw thread.Terminating();
    }

    /// <summary>Records that <paramref name="thread"/> swallowed its termination (a report; no other effect).</summary>
    internal void ReportSwallowedTermination(SimThread thread, string how) =>
        AddHostReport($"swallowed termination: {thread} {how}; treated as exited with status {thread.ExitCode.ToString(CultureInfo.InvariantCulture)}");

    /// <summary>
    /// The watchdog's look at the run (on the watchdog's host thread): when neither virtual time nor the switch count
    /// moved for <see cref="KernelConfig.WatchdogSeconds"/> of host time, the current thread is a runaway.
    /// </summary>
    internal void WatchdogCheck(long timestamp)
    {
        SimThread? current = Scheduler.Current;
        long progress = Scheduler.Now + Scheduler.Switches;
        // A long gap between two looks means the whole host process stood still (a debugger's break, a suspended
        // machine): that time was nobody's loop, so the budget starts over.
        bool hostPaused = _watchLastLook != 0 && Stopwatch.GetElapsedTime(_watchLastLook, timestamp).TotalSeconds > Math.Max(1, Config.WatchdogSeconds / 2);
        _watchLastLook = timestamp;
        if (progress != _watchProgress || current is null || hostPaused)
        {
            _watchProgress = progress;
            _watchSince = timestamp;
            return;
        }
        if (Stopwatch.GetElapsedTime(_watchSince, timestamp).TotalSeconds < Config.WatchdogSeconds) return;
        TakeCpuFromRunaway(current);
        _watchProgress = -1;
    }

    /// <summary>True once the watchdog stopped a runaway: the run depended on host time.</summary>
    internal bool WatchdogFired => _watchdogFired;

    private void AddHostReport(string report)
    {
        lock (_hostReports) _hostReports.Add(report);
    }

    // The watchdog takes the CPU: the runaway's port is revoked (its next access or entry is refused and unwinds), its
    // process is killed with Runaway, and the run goes on with the next thread, on the watchdog's host thread.
    private void TakeCpuFromRunaway(SimThread victim)
    {
        if (Interlocked.CompareExchange(ref victim.CpuHolderId, SimThread.NoHolder, victim.HostId) != victim.HostId) return;
        victim.HeldKernelFrames = victim.RpcDepth > 0 || victim.Process.InUpcall;
        victim.Abandoned = true;
        victim.IsRunningAway = true;
        victim.AccessBudget = 0;
        Interlocked.MemoryBarrierProcessWide();
        _watchdogFired = true;
        string budget = Config.WatchdogSeconds.ToString(CultureInfo.InvariantCulture);
        AddHostReport($"watchdog: {victim} ran {budget} s of host time without a scheduling point: its process is killed (Runaway); the run is not deterministic");
        try
        {
            // The fault is charged to the process whose code ran away (the callee, inside an RPC call).
            HandleFault(victim, new FaultRecord(victim.Process.Pid, victim.Tid, Scheduler.Now, 0, AccessKind.Execute, FaultReason.Runaway,
                $"no scheduling point within {budget} s of host time (watchdog)"));
            _rpc.AbandonCalls(victim);
        }
        catch (Exception e)
        {
            Panic(victim, e);
        }
        ThreadFinished(victim, victim.ExitCode, mainReturned: false);
    }

    // A killed thread swallowed its termination: count it out (the run goes on) and park its host thread for good.
    [DoesNotReturn]
    private void SwallowedTermination(SimThread thread, string how)
    {
        ReportSwallowedTermination(thread, how);
        thread.Abandoned = true;
        thread.AbandonedRefusals = 1;
        ThreadFinished(thread, thread.ExitCode, mainReturned: false);
        thread.ParkUntilDisposed();
    }

    // The own host thread of an abandoned thread came back. The first time it unwinds (unless kernel frames of a call
    // or handler are on its stack: unwinding them now would race the kernel, so it parks); later it parks.
    [DoesNotReturn]
    private static void RefuseAbandoned(SimThread port)
    {
        port.IsRunningAway = false;
        int refusals = ++port.AbandonedRefusals;
        if (refusals == 1 && !port.HeldKernelFrames) throw new ThreadTerminatedException();
        if (!port.Kernel.IsDisposed && refusals <= 2) port.ParkUntilDisposed();
        port.InGraveyard = true;
        Graveyard.Wait();
        throw new ThreadTerminatedException();
    }
}
