namespace MicroKernel;

/// <summary>
/// An exception that escaped a user program's own code. A program image wraps it where it calls that code (the
/// C# image's <c>Run</c>, <c>RunUpcall</c>, <c>RunService</c> and <c>Load</c>), so the kernel can tell it apart
/// structurally: this one is a <see cref="Hardware.FaultReason.UserException"/> fault of the process the thread acts
/// for; any other exception that reaches a kernel entry is a bug of the kernel, a panic (docs/architecture.md).
/// </summary>
public sealed class UserCodeException : Exception
{
    /// <summary>Wraps <paramref name="thrownByUserCode"/>, the exception the user program's code threw.</summary>
    public UserCodeException(Exception thrownByUserCode)
        : base(thrownByUserCode.Message, thrownByUserCode)
    {
    }

    /// <summary>The exception the user program threw.</summary>
    public Exception Thrown => InnerException!;
}
