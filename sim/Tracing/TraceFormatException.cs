namespace MicroKernel.Sim.Tracing;

/// <summary>A trace file that is truncated, damaged or not a trace: the message names the file and the byte offset.</summary>
public sealed class TraceFormatException : Exception
{
    /// <summary>Creates the error for <paramref name="file"/> at byte <paramref name="offset"/>.</summary>
    public TraceFormatException(string file, long offset, string problem)
        : base($"{file}: offset {offset}: {problem}")
    {
        File = file;
        Offset = offset;
        Problem = problem;
    }

    /// <summary>The trace file.</summary>
    public string File { get; }

    /// <summary>The byte offset of the problem.</summary>
    public long Offset { get; }

    /// <summary>What is wrong there.</summary>
    public string Problem { get; }
}
