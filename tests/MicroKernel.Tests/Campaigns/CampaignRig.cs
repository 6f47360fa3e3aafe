using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Campaigns;

/// <summary>Runs <c>mk</c> in-process for campaign tests, with an environment of the test's choosing, in a temporary folder.</summary>
internal sealed class CampaignRig : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"mk-campaign-{Guid.NewGuid():N}");

    public CampaignRig() => Directory.CreateDirectory(_dir);

    public string PathOf(string name) => Path.Combine(_dir, name);

    /// <summary>Runs mk with <paramref name="args"/>; the environment holds only <paramref name="environment"/>.</summary>
    public static (int Code, string Out, string Err) Mk(IReadOnlyDictionary<string, string>? environment, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error) { Environment = name => environment?.GetValueOrDefault(name) }.Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs mk with no cluster variables in its environment.</summary>
    public static (int Code, string Out, string Err) Mk(params string[] args) => Mk(null, args);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
