using System.Diagnostics;

namespace MicroKernel.Tests.Tooling;

/// <summary>Runs a host program (dotnet, an installed tool) to the end and captures what it printed.</summary>
internal static class HostProcess
{
    /// <summary>The outcome of one run: exit code, stdout, stderr.</summary>
    public readonly record struct Result(int Code, string Output, string Error)
    {
        /// <summary>Both streams, for a failure message.</summary>
        public override string ToString() => $"exit {Code}\n--- stdout ---\n{Output}\n--- stderr ---\n{Error}";
    }

    /// <summary>
    /// Runs <paramref name="file"/> with <paramref name="args"/> in <paramref name="workingDirectory"/>. The child gets
    /// no MSBuild variables of the test host (a `dotnet test` run sets some), so a child `dotnet` builds as from a shell.
    /// </summary>
    public static Result Run(string file, IEnumerable<string> args, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) info.ArgumentList.Add(a);
        foreach (string key in info.Environment.Keys.Where(k => k.StartsWith("MSBUILD", StringComparison.OrdinalIgnoreCase)).ToList())
            info.Environment.Remove(key);
        info.Environment["DOTNET_NOLOGO"] = "1";
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach ((string key, string value) in environment ?? new Dictionary<string, string>()) info.Environment[key] = value;
        using Process p = Process.Start(info) ?? throw new InvalidOperationException($"cannot start {file}");
        p.StandardInput.Close();
        Task<string> output = p.StandardOutput.ReadToEndAsync();
        Task<string> error = p.StandardError.ReadToEndAsync();
        p.WaitForExit();
        return new Result(p.ExitCode, output.Result, error.Result);
    }
}
