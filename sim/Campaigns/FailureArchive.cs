using MicroKernel.Sim.Cli;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// <c>--out DIR</c>: per distinct failure a folder <c>failure-N</c> holding the reproducer (<c>reproducer.txt</c>, the
/// command line), the trace of that very command (<c>trace.mktrace</c>, recorded by running it through <c>mk run
/// --trace</c>, so <c>mk replay</c> replays it) and the failure as a JSON object (<c>failure.json</c>).
/// </summary>
internal static class FailureArchive
{
    /// <summary>Writes the folders; false (and a message on <paramref name="error"/>) when the directory cannot be written.</summary>
    public static bool Write(string directory, CampaignTarget target, CampaignSummary summary, TextWriter error)
    {
        try
        {
            Directory.CreateDirectory(directory);
            for (int i = 0; i < summary.Failures.Count; i++)
            {
                FailureGroup f = summary.Failures[i];
                string folder = Path.Combine(directory, string.Create(CultureInfo.InvariantCulture, $"failure-{i + 1}"));
                Directory.CreateDirectory(folder);
                File.WriteAllText(Path.Combine(folder, "failure.json"), CampaignJson.FailureObject(f));
                if (f.Reproducer is not { } r) continue;
                File.WriteAllText(Path.Combine(folder, "reproducer.txt"), r.Command + "\n");
                string trace = Path.Combine(folder, "trace.mktrace");
                var quiet = new StringWriter(CultureInfo.InvariantCulture);
                int code = new CliApp(quiet, quiet).Invoke([.. Reproduction.Arguments(target, f.FirstSeed, r.Rules), "--trace", trace]);
                if (!File.Exists(trace))
                {
                    error.WriteLine($"error: --out: recording the trace of failure #{i + 1} failed (exit {code})");
                    return false;
                }
            }
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error.WriteLine($"error: --out: cannot write '{directory}': {e.Message}");
            return false;
        }
    }
}
