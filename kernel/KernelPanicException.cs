namespace MicroKernel;

/// <summary>
/// A bug inside the kernel (not in a user program): the run stops and <see cref="RunResult.Panic"/> carries it.
/// </summary>
public sealed class KernelPanicException : Exception
{
    /// <summary>Creates the panic from the exception the kernel hit.</summary>
    public KernelPanicException(string message, Exception? inner = null) : base(message, inner) { }
}
