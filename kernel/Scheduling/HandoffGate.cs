namespace MicroKernel.Scheduling;

/// <summary>
/// Where a parked simulated thread waits for the CPU. Passing the CPU must be cheap: the waiter first spins for a
/// few microseconds (a handoff from a thread that is already running usually arrives within that time, at the cost of
/// a cache-line transfer), and only then parks in the OS (an OS wake-up costs ~15 µs). Unlike SemaphoreSlim, neither
/// side takes a lock when the waiter is still spinning.
/// </summary>
internal sealed class HandoffGate
{
    // SpinWait.SpinOnce calls before parking: the first ten spin in place, the rest yield the core (on a busy
    // two-core machine the thread we wait for may need it). About two to ten microseconds in all.
    private const int SpinLimit = 20;

    // Parking in the OS: a monitor and a flag it guards (what ManualResetEventSlim does inside, with no handle to
    // dispose). _wakeup is set by Open and consumed by the parked waiter.
    private readonly object _parkLock = new();
    private bool _wakeup;
    private int _open;
    private int _parked;

    /// <summary>True while the waiter is parked in the OS (for tests).</summary>
    internal bool IsParked => Volatile.Read(ref _parked) == 1;

    /// <summary>Lets the waiter (or the next one to wait) through.</summary>
    public void Open()
    {
        Interlocked.Exchange(ref _open, 1);
        if (Volatile.Read(ref _parked) == 1) WakeParked();
    }

    /// <summary>Waits until <see cref="Open"/>, spinning briefly before parking; closes the gate behind.</summary>
    public void Wait()
    {
        var spinner = new SpinWait();
        while (spinner.Count < SpinLimit)
        {
            if (Volatile.Read(ref _open) == 1 && Interlocked.Exchange(ref _open, 0) == 1) return;
            spinner.SpinOnce(sleep1Threshold: -1);
        }
        Interlocked.Exchange(ref _parked, 1);
        try
        {
            // Re-check after announcing we park: an Open in between either sees _parked (and wakes us) or
            // left _open set for us here.
            while (Interlocked.Exchange(ref _open, 0) != 1) Park();
        }
        finally
        {
            Volatile.Write(ref _parked, 0);
        }
    }

    // Sleeps until WakeParked, or returns at once if it already came; either way the wake-up is used up.
    private void Park()
    {
        lock (_parkLock)
        {
            while (!_wakeup) Monitor.Wait(_parkLock);
            _wakeup = false;
        }
    }

    private void WakeParked()
    {
        lock (_parkLock)
        {
            _wakeup = true;
            Monitor.Pulse(_parkLock);
        }
    }
}
