using System.Diagnostics;
using MicroKernel.Sim.Cli;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The C library (userland/libc) through the programs of userland/examples/libc, which exercise each of its functions
/// (printf family with integers, strings, chars, pointers and doubles; string.h; ctype.h; malloc and the rest of
/// stdlib; errno; exit and atexit). Each is built by userland/bin/mk-gcc at -O2 and -O3 (committed fixtures) and
/// must print under <c>mk exec</c> exactly what the same source prints built natively against glibc
/// (fixtures/NAME.expected), and exit with the same status (NAME.status). Where gcc is on PATH the native build is
/// run again and the programs are rebuilt with mk-gcc; without gcc those tests are reported as skipped.
/// </summary>
public sealed class LibcProgramTests : IDisposable
{
    private static readonly string Dir = Path.Combine(CExamples.RepoRoot, "userland", "examples", "libc");
    private static readonly string Fixtures = Path.Combine(Dir, "fixtures");
    private static readonly string MkGcc = CExamples.MkGcc;
    private readonly string _temp = Directory.CreateTempSubdirectory("mk-libc-").FullName;

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    private static IEnumerable<string> Names() => CProgramSet.Names(Dir);

    /// <summary>Every program at each optimization level.</summary>
    public static TheoryData<string, string> Builds() => CProgramSet.Builds(Dir);

    [Fact]
    public void Every_program_has_its_fixtures_and_they_use_sse2()
    {
        string[] names = [.. Names()];
        names.ShouldBe(["floats", "matrix", "printf", "stdlib", "strings", "sweep", "wordfreq"]);
        foreach (string name in names)
        {
            File.Exists(Path.Combine(Fixtures, name + ".expected")).ShouldBeTrue($"{name}.expected: run `make -C userland/examples/libc fixtures`");
            File.Exists(Path.Combine(Fixtures, name + ".status")).ShouldBeTrue($"{name}.status: run `make -C userland/examples/libc fixtures`");
            foreach (string level in new[] { "-O2", "-O3" })
                Mk("disasm", Path.Combine(Fixtures, name + level)).Out.ShouldContain("xmm", customMessage: $"{name}{level}: mk-gcc keeps gcc's default (SSE2) code generation");
        }
    }

    /// <summary>Every program at each optimization level, under each CPU.</summary>
    public static TheoryData<string, string, X86CpuMode> BuildsUnderBothCpus() => X86CpuModes.UnderBoth(Builds());

    [Theory]
    [MemberData(nameof(BuildsUnderBothCpus))]
    public void A_fixture_prints_what_the_native_build_prints(string name, string level, X86CpuMode cpu)
    {
        (int code, string stdout, string stderr) = Mk(["exec", .. X86CpuModes.CliOptions(cpu), Path.Combine(Fixtures, name + level)]);
        stderr.ShouldBeEmpty();
        stdout.ShouldBe(File.ReadAllText(Path.Combine(Fixtures, name + ".expected")));
        code.ShouldBe(ExpectedStatus(name));
    }

    [Fact]
    public void The_exit_status_comes_from_exit_after_the_atexit_handlers_ran()
    {
        (int code, string stdout, _) = Mk("exec", Path.Combine(Fixtures, "stdlib-O2"));
        code.ShouldBe(3);
        stdout.ShouldEndWith("exit(3) next\natexit handler ran\n");
    }

    /// <summary>The expected output is the native -O2 build's; the native -O3 build must print the same.</summary>
    [GccTheory]
    [MemberData(nameof(Builds))]
    public void The_native_build_still_prints_the_expected_output(string name, string level)
    {
        string native = Path.Combine(_temp, name + level + "-native");
        Run("gcc", [level, "-o", native, name + ".c"]).Code.ShouldBe(0);
        (int code, string output, _) = Run(native, []);
        code.ShouldBe(ExpectedStatus(name));
        output.ShouldBe(File.ReadAllText(Path.Combine(Fixtures, name + ".expected")),
            $"{name}.c now prints something else natively: run `make -C userland/examples/libc fixtures`");
    }

    [GccTheory]
    [MemberData(nameof(Builds))]
    public void A_program_rebuilt_with_mk_gcc_prints_what_the_native_build_prints(string name, string level)
    {
        string rebuilt = Path.Combine(_temp, name + level);
        (int gcc, _, string errors) = Run(MkGcc, [$"-ffile-prefix-map={Dir}=.", level, "-o", rebuilt, name + ".c"]);
        gcc.ShouldBe(0, errors);
        (int code, string stdout, _) = Mk("exec", rebuilt);
        stdout.ShouldBe(File.ReadAllText(Path.Combine(Fixtures, name + ".expected")));
        code.ShouldBe(ExpectedStatus(name));
    }

    [GccFact]
    public void Mk_gcc_rejects_a_program_that_does_not_compile()
    {
        string source = Path.Combine(_temp, "broken.c");
        File.WriteAllText(source, "#include <stdio.h>\nint main(void) { printf(\"%d\\n\", undeclared); return 0; }\n");
        (int code, _, string errors) = Run(MkGcc, ["-O2", "-o", Path.Combine(_temp, "broken"), source]);
        code.ShouldNotBe(0);
        errors.ShouldContain("undeclared");
    }

    [GccFact]
    public void A_failed_assert_prints_glibcs_message_and_aborts_with_134()
    {
        string source = Path.Combine(_temp, "assert.c");
        File.WriteAllText(source, "#include <assert.h>\n#include <stdio.h>\nint main(void) { printf(\"before\\n\"); assert(1 + 1 == 3); return 0; }\n");
        string program = Path.Combine(_temp, "assert");
        (int gcc, _, string errors) = Run(MkGcc, ["-O2", $"-ffile-prefix-map={_temp}=.", "-o", program, source]);
        gcc.ShouldBe(0, errors);
        (int code, string stdout, _) = Mk("exec", program);
        code.ShouldBe(134);
        stdout.ShouldBe("before\nassert: ./assert.c:3: main: Assertion `1 + 1 == 3' failed.\n"); // the program's name, as glibc's __progname
    }

    [SameToolchainTheory]
    [MemberData(nameof(Builds))]
    public void A_rebuild_with_the_fixtures_toolchain_gives_the_same_bytes(string name, string level)
    {
        File.ReadAllText(Path.Combine(Dir, "fixtures.toolchain")).ShouldBe(File.ReadAllText(CExamples.ToolchainFile));
        string rebuilt = Path.Combine(_temp, name + level);
        Run(MkGcc, [$"-ffile-prefix-map={Dir}=.", level, "-o", rebuilt, name + ".c"]).Code.ShouldBe(0);
        File.ReadAllBytes(rebuilt).ShouldBe(File.ReadAllBytes(Path.Combine(Fixtures, name + level)),
            $"fixtures/{name}{level} is not what {name}.c compiles to: run `make -C userland/examples/libc fixtures`");
    }

    private static int ExpectedStatus(string name) =>
        int.Parse(File.ReadAllText(Path.Combine(Fixtures, name + ".status")).Trim(), System.Globalization.CultureInfo.InvariantCulture);

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = new CliApp(stdout, stderr).Invoke(args);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static (int Code, string Out, string Err) Run(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program, args) { WorkingDirectory = Dir, RedirectStandardError = true, RedirectStandardOutput = true };
        using Process process = Process.Start(psi)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, errors.Result);
    }
}
