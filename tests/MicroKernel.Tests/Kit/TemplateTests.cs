using System.Diagnostics;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Kit;

/// <summary>
/// The student template (templates/mk-program), as the README's three commands use it: install, instantiate, run.
/// The template is installed into a private hive, so the user's own `dotnet new` list is left alone.
/// </summary>
public sealed class TemplateTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-template-").FullName;

    private (int Code, string Output) Dotnet(params string[] args)
    {
        var info = new ProcessStartInfo("dotnet", args)
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["DOTNET_NOLOGO"] = "1";
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(TimeSpan.FromMinutes(5)))
        {
            p.Kill(entireProcessTree: true);
            return (-1, "killed after 5 minutes");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    [Fact]
    public void The_template_makes_a_project_that_builds_without_the_projects_rules_and_runs_its_scenario()
    {
        string hive = Path.Combine(_dir, "hive");
        var (code, output) = Dotnet("new", "install", Path.Combine(CExamples.RepoRoot, "templates", "mk-program"), "--debug:custom-hive", hive);
        code.ShouldBe(0, output);
        (code, output) = Dotnet("new", "mk-program", "-o", "MyProgram", "--mk-root", CExamples.RepoRoot, "--debug:custom-hive", hive);
        code.ShouldBe(0, output);
        File.ReadAllText(Path.Combine(_dir, "MyProgram", "program.scn")).ShouldContain("program=MyProgram.dll:Counter");
        (code, output) = Dotnet("run", "--project", "MyProgram");
        code.ShouldBe(0, output);
        output.ShouldContain("counter 1: 3");
        output.ShouldContain("counter 2: 5");
        output.ShouldContain("expectations: 4 of 4 met");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
