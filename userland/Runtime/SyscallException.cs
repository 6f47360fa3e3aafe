using MicroKernel.Syscalls;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// Thrown by a <see cref="Sys"/> wrapper when the kernel returns an error. Unhandled, it crashes only the
/// calling process (a user exception fault). Use <see cref="Sys.Syscall"/> for the raw result instead.
/// </summary>
public sealed class SyscallException : Exception, ISyscallFailure
{
    /// <summary>Creates the exception for <paramref name="error"/> returned by <paramref name="syscall"/>.</summary>
    public SyscallException(SyscallNumber syscall, ErrorCode error) : base(string.Create(CultureInfo.InvariantCulture, $"{syscall}: {error.Message()} ({(long)error})"))
    {
        Syscall = syscall;
        Error = error;
    }

    /// <summary>The syscall that failed.</summary>
    public SyscallNumber Syscall { get; }

    /// <summary>The error it returned.</summary>
    public ErrorCode Error { get; }
}
