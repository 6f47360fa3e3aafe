namespace MicroKernel.Processes;

/// <summary>
/// Unwinds a simulated thread's managed stack when the kernel ends it (exit, kill, fault, deadlock).
/// User programs must let it pass: a catch that swallows it only delays the end, since every later syscall or
/// memory access throws it again, and a thread that keeps coming back is reported and counted out (its host thread
/// parked until <see cref="Kernel.Dispose"/>; docs/architecture.md).
/// </summary>
public sealed class ThreadTerminatedException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ThreadTerminatedException() : base("the simulated thread was terminated by the kernel") { }
}
