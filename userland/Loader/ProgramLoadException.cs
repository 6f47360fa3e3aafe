namespace MicroKernel.Userland.Loader;

/// <summary>A program from an assembly cannot be loaded: the message says why, for the student.</summary>
public sealed class ProgramLoadException : Exception
{
    /// <summary>Creates the exception with <paramref name="message"/>.</summary>
    public ProgramLoadException(string message) : base(message) { }

    /// <summary>Creates the exception with no message.</summary>
    public ProgramLoadException() { }

    /// <summary>Creates the exception with <paramref name="message"/> and its cause.</summary>
    public ProgramLoadException(string message, Exception inner) : base(message, inner) { }
}
