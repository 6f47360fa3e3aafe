using System.Diagnostics;

namespace MicroKernel.Scheduling;

/// <summary>
/// The host watchdog: one background host thread for the whole process that looks at every running kernel whose
/// <see cref="KernelConfig.WatchdogSeconds"/> is above zero. Managed code cannot be interrupted, so a C# loop that never
/// reaches a scheduling point would hang its run; the watchdog notices that virtual time and the switch count stood
/// still for the budget of host time and takes the CPU from the runaway. This is the one place the kernel reads a
/// wall clock: only to decide when to fire. The time itself never reaches a trace; that it fired does (a Runaway
/// fault), and the run is then marked not deterministic.
/// </summary>
internal static class HostWatchdog
{
    private static readonly object Lock = new();
    private static readonly List<Kernel> Watched = [];
    private static Thread? _thread;

    /// <summary>Starts watching <paramref name="kernel"/> (its run is starting).</summary>
    public static void Watch(Kernel kernel)
    {
        lock (Lock)
        {
            Watched.Add(kernel);
            if (_thread is null)
            {
                _thread = new Thread(Loop) { IsBackground = true, Name = "mk host watchdog" };
                _thread.Start();
            }
            Monitor.PulseAll(Lock);
        }
    }

    /// <summary>Stops watching <paramref name="kernel"/> (its run ended, or it was disposed).</summary>
    public static void Unwatch(Kernel kernel)
    {
        lock (Lock) Watched.Remove(kernel);
    }

    private static void Loop()
    {
        while (true)
        {
            List<Kernel> due;
            lock (Lock)
            {
                while (Watched.Count == 0) Monitor.Wait(Lock);
                // Look four times per budget of the most impatient kernel, at most every 10 ms and at least every second.
                double seconds = Math.Clamp(Watched.Min(k => k.Config.WatchdogSeconds) / 4, 0.01, 1.0);
                Monitor.Wait(Lock, TimeSpan.FromSeconds(seconds));
                due = Watched.ToList();
            }
            long now = Stopwatch.GetTimestamp();
            foreach (Kernel k in due) k.WatchdogCheck(now);
        }
    }
}
