namespace MicroKernel;

/// <summary>
/// Unwinds a simulated thread after a bug inside the kernel (not in a user program): the run stops and
/// <see cref="RunResult.Panic"/> reports the kernel exception that caused it. Only the kernel creates one; program
/// images let it pass, and no user fault is charged for it.
/// </summary>
public sealed class KernelPanicException : Exception
{
    internal KernelPanicException(string message, Exception? inner = null) : base(message, inner) { }
}
