using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;

namespace MicroKernel.Tests.Tracing;

/// <summary>A temporary directory for trace files (deleted on dispose) and the mk command line, captured.</summary>
internal sealed class TraceFixture : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), $"mk-trace-{Guid.NewGuid():N}");

    public TraceFixture() => Directory.CreateDirectory(_dir);

    public string PathOf(string name) => Path.Combine(_dir, name);

    public static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Records <paramref name="scenario"/> (with extra run options) and returns the trace's path.</summary>
    public string Record(string scenario, params string[] options)
    {
        string path = PathOf($"{Path.GetFileNameWithoutExtension(scenario)}-{Guid.NewGuid():N}.mktrace");
        var (code, output, err) = Mk(["run", scenario, "--trace", path, .. options]);
        err.ShouldBeEmpty();
        code.ShouldBeOneOf(ExitCodes.Ok, ExitCodes.Deadlock);
        output.ShouldContain($"written to {path}");
        return path;
    }

    public static Trace Read(string path) => TraceReader.Read(path);

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A temp directory left behind is harmless.
        }
    }
}
