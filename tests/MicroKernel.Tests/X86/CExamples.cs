using System.Diagnostics;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The C examples of userland/examples/c and their committed gcc-built ELF files
/// (userland/examples/c/fixtures/NAME, rebuilt by <c>make -C userland/examples/c fixtures</c>). Every C-program test
/// runs the fixture, so a machine without gcc runs them all; where gcc is on PATH, <see cref="CFixtureTests"/>
/// rebuilds the sources with the Makefile's flags and checks the fixtures still match them.
/// </summary>
internal static class CExamples
{
    /// <summary>The repository root (the folder holding MicroKernel.sln).</summary>
    public static readonly string RepoRoot = FindRepoRoot();

    /// <summary>userland/examples/c: the sources and the Makefile.</summary>
    public static readonly string ExamplesDir = Path.Combine(RepoRoot, "userland", "examples", "c");

    /// <summary>userland/examples/c/fixtures: the committed ELF files.</summary>
    public static readonly string FixturesDir = Path.Combine(ExamplesDir, "fixtures");

    /// <summary>The file <c>make fixtures</c> writes beside the fixtures: the gcc and ld that built them.</summary>
    public static readonly string ToolchainFile = Path.Combine(ExamplesDir, "fixtures.toolchain");

    /// <summary>userland/bin/mk-gcc: gcc around the project's C library, which builds every example.</summary>
    public static readonly string MkGcc = Path.Combine(RepoRoot, "userland", "bin", "mk-gcc");

    /// <summary>
    /// The flags every example is built with by mk-gcc, as the Makefile's CFLAGS line says (with <c>$(CURDIR)</c> =
    /// the examples folder); <see cref="CFixtureTests"/> checks the two stay the same.
    /// </summary>
    public static readonly string[] Flags = ["-O2", $"-ffile-prefix-map={ExamplesDir}=."];

    /// <summary>The examples' names (each NAME.c in the examples folder), in ordinal order.</summary>
    public static IReadOnlyList<string> Names =>
        [.. Directory.GetFiles(ExamplesDir, "*.c").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    private static string FindRepoRoot()
    {
        string? dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "MicroKernel.sln")))
            dir = Path.GetDirectoryName(dir);
        return dir ?? throw new InvalidOperationException("MicroKernel.sln not found above the test binaries");
    }

    /// <summary>The path of example <paramref name="name"/>'s committed ELF file; fails the test if it is missing.</summary>
    public static string Fixture(string name)
    {
        string path = Path.Combine(FixturesDir, name);
        File.Exists(path).ShouldBeTrue($"{path} is missing: run `make -C userland/examples/c fixtures` and commit it");
        return path;
    }

    /// <summary>The bytes of example <paramref name="name"/>'s committed ELF file.</summary>
    public static byte[] FixtureBytes(string name) => File.ReadAllBytes(Fixture(name));

    /// <summary>True when an executable named gcc is in a folder of PATH (no process is started to find out).</summary>
    public static bool GccOnPath()
    {
        string[] names = OperatingSystem.IsWindows() ? ["gcc.exe"] : ["gcc"];
        return (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(dir => names.Any(n => File.Exists(Path.Combine(dir, n))));
    }

    /// <summary>
    /// Compiles example <paramref name="name"/> into <paramref name="outFile"/> as the Makefile does, with mk-gcc
    /// (from the examples folder, the source named relative to it). gcc must be on PATH: callers are gcc-only tests.
    /// </summary>
    public static void Build(string name, string outFile)
    {
        (int code, string _, string errors) = Run(MkGcc, [.. Flags, "-o", outFile, name + ".c"]);
        code.ShouldBe(0, $"mk-gcc failed on {name}.c: {errors}");
    }

    /// <summary>
    /// The toolchain on this machine in the form of <see cref="ToolchainFile"/>: the first line of
    /// <c>gcc --version</c>, then the first line of the version of the ld gcc links with.
    /// </summary>
    public static string HostToolchain()
    {
        string gcc = FirstLine(Run("gcc", ["--version"]).Out);
        string ld = Run("gcc", ["-print-prog-name=ld"]).Out.Trim();
        return $"{gcc}\n{FirstLine(Run(ld, ["--version"]).Out)}\n";
    }

    private static string FirstLine(string text) => text.Split('\n')[0].TrimEnd('\r');

    private static (int Code, string Out, string Err) Run(string program, string[] args)
    {
        var psi = new ProcessStartInfo(program, args)
        {
            WorkingDirectory = ExamplesDir,
            RedirectStandardError = true,
            RedirectStandardOutput = true,
        };
        using Process process = Process.Start(psi)!;
        Task<string> errors = process.StandardError.ReadToEndAsync();
        string output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, output, errors.Result);
    }
}
