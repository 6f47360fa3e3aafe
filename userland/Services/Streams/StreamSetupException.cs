namespace MicroKernel.Userland.Services.Streams;

/// <summary>The setup phase found attributes it cannot reconcile; the message names both sides.</summary>
public sealed class StreamSetupException : Exception
{
    /// <summary>Makes the error for <paramref name="first"/> against <paramref name="second"/>.</summary>
    public StreamSetupException(string first, string second, string message)
        : base($"stream setup: {first} and {second}: {message}")
    {
        First = first;
        Second = second;
    }

    /// <summary>The first block of the conflict.</summary>
    public string First { get; }

    /// <summary>The second block of the conflict (the same block for a declaration that is wrong alone).</summary>
    public string Second { get; }
}
