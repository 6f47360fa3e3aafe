namespace MicroKernel.Scheduling;

/// <summary>
/// Thrown at a host thread that used a simulated thread's port (memory, syscall, tick) without holding the one
/// simulated CPU: a host thread or task started by user code, or one thread's code using another thread's port.
/// The kernel refuses the access and records a report (<see cref="RunResult.HostReports"/>); nothing was changed.
/// </summary>
public sealed class CpuNotHeldException : InvalidOperationException
{
    /// <summary>Creates the exception with the kernel's report.</summary>
    public CpuNotHeldException(string report) : base(report) { }
}
