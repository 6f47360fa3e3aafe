using System.Diagnostics;
using Xunit.Abstractions;

namespace MicroKernel.Tests.X86;

/// <summary>
/// Builds the C examples in userland/examples/c with the host's gcc and the documented command line. Without gcc
/// on PATH a build returns null and writes a message to the test output: the caller then does nothing (xunit has
/// no runtime skip here, and the suite must stay green on machines without a C compiler).
/// </summary>
internal static class CExamples
{
    /// <summary>The repository root (the folder holding MicroKernel.sln).</summary>
    public static readonly string RepoRoot = FindRepoRoot();

    /// <summary>The flags every example is built with (userland/examples/c/README.md).</summary>
    public static readonly string[] Flags = ["-static", "-nostdlib", "-fno-pie", "-no-pie", "-mgeneral-regs-only", "-O2"];

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MicroKernel.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("MicroKernel.sln not found above the test binaries");
    }

    /// <summary>Compiles example <paramref name="name"/> into <paramref name="outFile"/>; false (and a message) without gcc.</summary>
    public static bool TryBuild(string name, string outFile, ITestOutputHelper output)
    {
        string source = Path.Combine(RepoRoot, "userland", "examples", "c", name + ".c");
        var psi = new ProcessStartInfo("gcc", [.. Flags, "-o", outFile, source])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        Process process;
        try
        {
            process = Process.Start(psi)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            output.WriteLine($"gcc is not on PATH: {name}.c was not built and this test checked nothing.");
            return false;
        }
        string errors = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.ShouldBe(0, $"gcc failed on {name}.c: {errors}");
        return true;
    }

    /// <summary>Compiles an example and returns its bytes (the file is deleted), or null without gcc.</summary>
    public static byte[]? Build(string name, ITestOutputHelper output)
    {
        string outFile = Path.Combine(Path.GetTempPath(), $"mk-x86-{name}-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            return TryBuild(name, outFile, output) ? File.ReadAllBytes(outFile) : null;
        }
        finally
        {
            File.Delete(outFile);
        }
    }
}
