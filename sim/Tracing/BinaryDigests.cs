using System.Security.Cryptography;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// The SHA-256 of every x86-64 binary a scenario loads, recorded in a trace's header (<c>binaries</c>) and checked
/// before a replay: a binary rebuilt since the recording would run other code, and the replay would report a kernel
/// divergence that is not one. The digest is cryptographic so that no edit of the file can keep it.
/// </summary>
internal static class BinaryDigests
{
    /// <summary>The lowercase hex SHA-256 of <paramref name="bytes"/>.</summary>
    public static string Of(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));

    /// <summary>
    /// Path (as the scenario resolved it) -> digest, for each binary process of <paramref name="scenario"/>, ordered
    /// by path. A file that cannot be read is left out: booting the scenario reports it.
    /// </summary>
    public static SortedDictionary<string, string> Of(Scenario scenario)
    {
        var digests = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (ProcessSpec spec in scenario.Processes)
            if (spec.IsBinary && !digests.ContainsKey(spec.Program) && TryRead(spec.Program, out byte[]? bytes))
                digests[spec.Program] = Of(bytes);
        return digests;
    }

    /// <summary>
    /// Throws a <see cref="ScenarioException"/> on the process line of the first binary of <paramref name="scenario"/>
    /// whose file no longer has the digest in <paramref name="recorded"/>, naming the file and both digests. Binaries
    /// without a recorded digest (traces made before digests were recorded) are not checked.
    /// </summary>
    public static void Check(Scenario scenario, IReadOnlyDictionary<string, string> recorded)
    {
        foreach (ProcessSpec spec in scenario.Processes)
        {
            if (!spec.IsBinary || !recorded.TryGetValue(spec.Program, out string? then)) continue;
            string now = TryRead(spec.Program, out byte[]? bytes) ? Of(bytes) : "(unreadable)";
            if (now != then)
                throw new ScenarioException(scenario.Source, spec.Line, "binary",
                    $"{spec.Program} changed since the recording: its SHA-256 is now {now}, the trace recorded {then}; replaying it would run other code");
        }
    }

    private static bool TryRead(string path, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out byte[]? bytes)
    {
        try
        {
            bytes = File.ReadAllBytes(path);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            bytes = null;
            return false;
        }
    }
}
