using System.Diagnostics;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// The reference reader tools/mktrace.py, written from docs/trace-format.md alone, must print exactly what
/// <c>mk trace show --jsonl</c> prints, on every built-in scenario's trace: the document (which the Python follows)
/// and the C# reader cannot drift apart without this failing.
/// </summary>
public sealed class PythonReaderTests
{
    /// <summary>Every built-in scenario.</summary>
    public static TheoryData<string> BuiltIns => new(ScenarioRunner.BuiltInNames);

    [PythonTheory]
    [MemberData(nameof(BuiltIns))]
    public void The_python_reader_prints_the_same_json_lines_as_trace_show(string scenario)
    {
        using var f = new TraceFixture();
        string path = f.Record(scenario);
        var (code, expected, err) = TraceFixture.Mk("trace", "show", path, "--jsonl");
        code.ShouldBe(ExitCodes.Ok, err);

        var (pyCode, actual, pyErr) = PythonReader.Run(path);

        pyErr.ShouldBeEmpty();
        pyCode.ShouldBe(0);
        actual.ShouldBe(expected);
    }

    [PythonFact]
    public void The_python_reader_refuses_a_damaged_block_naming_its_offset()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo");
        byte[] bytes = File.ReadAllBytes(path);
        int block = TraceFixture.Read(path).Header.ToJson().Length + 18; // magic, version, length, JSON, CRC
        bytes[block].ShouldBe((byte)'B');
        bytes[block + 20] ^= 0x40;
        File.WriteAllBytes(path, bytes);

        var (code, _, err) = PythonReader.Run(path);

        code.ShouldBe(2);
        err.ShouldContain($"offset {block}: the block of events #0.. fails its CRC-32 check");
    }

    [PythonFact]
    public void The_python_reader_refuses_a_truncated_trace()
    {
        using var f = new TraceFixture();
        string path = f.Record("deadlock");
        byte[] bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);

        var (code, _, err) = PythonReader.Run(path);

        code.ShouldBe(2);
        err.ShouldContain("truncated");
    }
}

/// <summary>Runs tools/mktrace.py with python3.</summary>
internal static class PythonReader
{
    /// <summary>True when python3 is in a folder of PATH (no process is started to find out).</summary>
    public static bool OnPath() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => File.Exists(Path.Combine(dir, OperatingSystem.IsWindows() ? "python3.exe" : "python3")));

    /// <summary>The reason given when python3 is missing.</summary>
    public const string NotFound = "python3 is not on PATH: the reference trace reader (tools/mktrace.py) is not checked";

    /// <summary>Runs the reader on <paramref name="trace"/>; returns its exit code, standard output and error.</summary>
    public static (int Code, string Out, string Err) Run(string trace)
    {
        var psi = new ProcessStartInfo("python3", [Path.Combine(CExamples.RepoRoot, "tools", "mktrace.py"), trace])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        using Process process = Process.Start(psi)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, errors.Result);
    }
}

/// <summary>A fact that needs python3: skipped visibly (with the reason) when python3 is not on PATH.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> when python3 is missing.</summary>
    public PythonFactAttribute()
    {
        if (!PythonReader.OnPath()) Skip = PythonReader.NotFound;
    }
}

/// <summary>A theory that needs python3: skipped visibly when python3 is not on PATH.</summary>
public sealed class PythonTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="TheoryAttribute.Skip"/> when python3 is missing.</summary>
    public PythonTheoryAttribute()
    {
        if (!PythonReader.OnPath()) Skip = PythonReader.NotFound;
    }
}
