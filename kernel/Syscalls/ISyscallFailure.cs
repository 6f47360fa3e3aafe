namespace MicroKernel.Syscalls;

/// <summary>
/// An exception that reports a syscall the kernel refused. When one escapes a program, the kernel words the fault's
/// detail itself from the call and the error (<see cref="ErrorCodes.Message"/>): the same text on every host, unlike
/// a .NET exception message, which a language pack may translate.
/// </summary>
public interface ISyscallFailure
{
    /// <summary>The syscall that failed.</summary>
    SyscallNumber Syscall { get; }

    /// <summary>The error it returned.</summary>
    ErrorCode Error { get; }
}
