using System.Diagnostics;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tests.X86;
using MicroKernel.Tracing;

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
    public void The_python_reader_agrees_on_escapes_unknown_kinds_extreme_numbers_and_block_boundaries()
    {
        // Events no scenario makes: every character class the JSON escaper treats apart, a kind number the format
        // does not know, arguments and codes at the ends of their ranges, and enough events for several blocks
        // (each restarts its tick, string table and open syscalls: they decode alone).
        Scenario s = ScenarioRunner.Load("demo");
        using var f = new TraceFixture();
        string path = f.PathOf("crafted.mktrace");
        using (var file = File.Create(path))
        {
            var writer = new TraceWriter(file, TraceHeader.For(s.Name, s.Source, ScenarioRunner.BuiltInText("demo"), s.Config,
                TraceCommands.SyscallTable(), new Dictionary<string, string?>()), ownsStream: false);
            string odd = "q\"b\\s\u0001\u001f\u007f\u0085\u00e9\u2028\u20ac\U0001F600\t\r\n\b\f end";
            writer.Emit(new KernelEvent { Kind = EventKind.Console, Pid = 1, Tid = 1, Tick = 1, Text = odd });
            writer.Emit(new KernelEvent { Kind = (EventKind)17, Pid = 2, Tid = 3, Tick = 2, Code = long.MinValue, A0 = ulong.MaxValue, A5 = 1, Result = long.MaxValue });
            for (int i = 0; i < 6000; i++)
            {
                writer.Emit(new KernelEvent { Kind = EventKind.SyscallEnter, Pid = 1, Tid = 1 + i % 3, Tick = 3 + i, Code = 2, A0 = (ulong)i });
                writer.Emit(new KernelEvent { Kind = EventKind.Switch, Pid = 1, Tid = 1 + i % 3, Tick = 3 + i, A0 = 2, Text = i % 2 == 0 ? "yield" : odd + i });
                if (i % 2 == 1)
                {
                    writer.Emit(new KernelEvent { Kind = EventKind.SyscallExit, Pid = 1, Tid = 1 + (i - 1) % 3, Tick = 3 + i, Code = 2, A0 = (ulong)i - 1, Result = -3 });
                    writer.Emit(new KernelEvent { Kind = EventKind.SyscallExit, Pid = 1, Tid = 1 + i % 3, Tick = 3 + i, Code = 99, A0 = (ulong)i, Instructions = i });
                }
            }
            writer.Finish(new RunResult(RunOutcome.Completed, 7000, 5, [], null, null));
        }
        TraceFixture.Read(path).Events.Count.ShouldBe(2 + 6000 * 2 + 3000 * 2);
        var (code, expected, err) = TraceFixture.Mk("trace", "show", path, "--jsonl");
        code.ShouldBe(ExitCodes.Ok, err);
        expected.ShouldContain("\"kind\":\"17\"");
        expected.ShouldContain("\"syscall\":\"syscall_99\"");
        expected.ShouldContain("q\\\"b\\\\s\\u0001\\u001F\\u007F\\u0085\u00e9\\u2028\u20ac\\uD83D\\uDE00\\t\\r\\n\\b\\f end"); // docs/trace-format.md, JSON Lines

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

    [PythonTheory]
    [InlineData("demo")]
    [InlineData("rpc")]
    public void The_python_reader_expands_zlib_blocks_with_the_standard_library(string scenario)
    {
        using var f = new TraceFixture();
        string path = f.Record(scenario, "--compress", "zlib");
        using (MicroKernel.Sim.Tracing.Trace t = TraceFixture.Read(path)) File.ReadAllBytes(path)[t.Index!.Blocks[0].Offset + 1].ShouldBe((byte)TraceCompression.ZLib);
        var (code, expected, err) = TraceFixture.Mk("trace", "show", path, "--jsonl");
        code.ShouldBe(ExitCodes.Ok, err);

        // Without the third-party brotli module too: zlib needs nothing outside the standard library.
        var (pyCode, actual, pyErr) = PythonReader.Run(path, hideBrotli: true);

        pyErr.ShouldBeEmpty();
        pyCode.ShouldBe(0);
        actual.ShouldBe(expected);
    }

    [PythonFact]
    public void Without_the_brotli_module_a_brotli_block_is_refused_naming_its_codec_and_exit_code_3()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo", "--compress", "brotli");
        long block;
        using (MicroKernel.Sim.Tracing.Trace t = TraceFixture.Read(path)) block = t.Index!.Blocks[0].Offset;

        var (code, output, err) = PythonReader.Run(path, hideBrotli: true);

        code.ShouldBe(3); // not 2: the trace is not damaged
        err.ShouldContain($"offset {block + 1}: the block of events #0.. is compressed with Brotli (codec 1)");
        err.ShouldContain("pip install brotli");
        output.ShouldStartWith("{\"header\":"); // what comes before the block is printed
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

    /// <summary>
    /// Runs the reader on <paramref name="trace"/>; returns its exit code, standard output and error. With
    /// <paramref name="hideBrotli"/>, <c>import brotli</c> fails as on a Python without the third-party module (a
    /// folder first on PYTHONPATH holds a brotli.py that raises ImportError), whether or not it is installed here.
    /// </summary>
    public static (int Code, string Out, string Err) Run(string trace, bool hideBrotli = false)
    {
        var psi = new ProcessStartInfo("python3", [Path.Combine(CExamples.RepoRoot, "tools", "mktrace.py"), trace])
        {
            RedirectStandardError = true,
            RedirectStandardOutput = true,
            StandardOutputEncoding = System.Text.Encoding.UTF8,
        };
        string? hidden = null;
        if (hideBrotli)
        {
            hidden = Directory.CreateTempSubdirectory("mk-no-brotli-").FullName;
            File.WriteAllText(Path.Combine(hidden, "brotli.py"), "raise ImportError('the brotli module is hidden by the test')\n");
            psi.Environment["PYTHONPATH"] = hidden;
            psi.Environment["PYTHONDONTWRITEBYTECODE"] = "1";
        }
        try
        {
            using Process process = Process.Start(psi)!;
            Task<string> errors = process.StandardError.ReadToEndAsync();
            string output = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            return (process.ExitCode, output, errors.Result);
        }
        finally
        {
            if (hidden is not null) Directory.Delete(hidden, recursive: true);
        }
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
