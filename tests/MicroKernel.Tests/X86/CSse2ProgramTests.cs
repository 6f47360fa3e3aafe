using System.Diagnostics;
using MicroKernel.Sim.Cli;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// C programs built with gcc's default code generation (the x86-64 baseline with SSE2: doubles, struct copies,
/// vectorized loops) at -O2 and -O3, from userland/examples/c-sse2. Each committed fixture must print under
/// <c>mk exec</c> exactly what the same source printed when built natively against glibc (fixtures/NAME.expected).
/// Where gcc is on PATH the native build is run again and the sources are rebuilt, so neither the expected output
/// nor the fixtures can drift from the sources; without gcc those tests are reported as skipped.
/// </summary>
public sealed class CSse2ProgramTests : IDisposable
{
    private static readonly string Dir = Path.Combine(CExamples.RepoRoot, "userland", "examples", "c-sse2");
    private static readonly string Fixtures = Path.Combine(Dir, "fixtures");
    private readonly string _temp = Directory.CreateTempSubdirectory("mk-csse2-").FullName;

    /// <summary>The flags of the Makefile: gcc's default code generation, no C library, a static executable.</summary>
    private static string[] Flags => ["-static", "-nostdlib", "-fno-pie", "-no-pie", $"-ffile-prefix-map={Dir}=.", "-Wl,--build-id=none"];

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    /// <summary>Every program (NAME.c).</summary>
    public static TheoryData<string> Programs() => [.. Names()];

    private static IEnumerable<string> Names() => CProgramSet.Names(Dir);

    /// <summary>Every program at each optimization level.</summary>
    public static TheoryData<string, string> Builds() => CProgramSet.Builds(Dir);

    [Fact]
    public void Every_program_has_its_fixtures_and_they_use_sse2()
    {
        string[] names = [.. Names()];
        names.ShouldBe(["doubles", "structs", "vectors"]);
        foreach (string name in names)
        {
            File.Exists(Path.Combine(Fixtures, name + ".expected")).ShouldBeTrue($"{name}.expected: run `make -C userland/examples/c-sse2 fixtures`");
            foreach (string level in new[] { "-O2", "-O3" })
            {
                string listing = Mk("disasm", Path.Combine(Fixtures, name + level)).Out;
                listing.ShouldContain("xmm", customMessage: $"{name}{level} uses no SSE register: was it built with -mgeneral-regs-only?");
            }
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
        code.ShouldBe(0);
        stdout.ShouldBe(File.ReadAllText(Path.Combine(Fixtures, name + ".expected")));
    }

    [GccTheory]
    [MemberData(nameof(Programs))]
    public void The_native_build_still_prints_the_expected_output(string name)
    {
        string native = Path.Combine(_temp, name + "-native");
        Run("gcc", ["-DNATIVE", "-O2", "-o", native, name + ".c"]).Code.ShouldBe(0);
        (int code, string output, _) = Run(native, []);
        code.ShouldBe(0);
        output.ShouldBe(File.ReadAllText(Path.Combine(Fixtures, name + ".expected")),
            $"{name}.c now prints something else natively: run `make -C userland/examples/c-sse2 fixtures`");
    }

    [GccTheory]
    [MemberData(nameof(Builds))]
    public void A_rebuilt_program_prints_what_the_native_build_prints(string name, string level)
    {
        string rebuilt = Path.Combine(_temp, name + level);
        (int gcc, _, string errors) = Run("gcc", [.. Flags, level, "-o", rebuilt, name + ".c"]);
        gcc.ShouldBe(0, errors);
        (int code, string stdout, _) = Mk("exec", rebuilt);
        code.ShouldBe(0);
        stdout.ShouldBe(File.ReadAllText(Path.Combine(Fixtures, name + ".expected")));
    }

    [SameToolchainTheory]
    [MemberData(nameof(Builds))]
    public void A_rebuild_with_the_fixtures_toolchain_gives_the_same_bytes(string name, string level)
    {
        File.ReadAllText(Path.Combine(Dir, "fixtures.toolchain")).ShouldBe(File.ReadAllText(CExamples.ToolchainFile));
        string rebuilt = Path.Combine(_temp, name + level);
        Run("gcc", [.. Flags, level, "-o", rebuilt, name + ".c"]).Code.ShouldBe(0);
        File.ReadAllBytes(rebuilt).ShouldBe(File.ReadAllBytes(Path.Combine(Fixtures, name + level)),
            $"fixtures/{name}{level} is not what {name}.c compiles to: run `make -C userland/examples/c-sse2 fixtures`");
    }

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
