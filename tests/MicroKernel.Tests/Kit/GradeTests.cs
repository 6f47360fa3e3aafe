using System.Text.Json;
using System.Xml.Linq;
using MicroKernel.Sim.Cli;
using MicroKernel.Tests.X86;
using MicroKernel.Userland.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MicroKernel.Tests.Kit;

/// <summary>
/// <c>mk grade</c> on the assignments: each reference solution (assignments/teachers/NAME) earns full marks with the
/// hidden tests, each starter a low score, an endless loop fails its run by the wall-clock limit without hanging.
/// The sources are compiled here with Roslyn (fast); one test builds an assignment with dotnet build as a student does.
/// </summary>
public sealed class GradeTests : IDisposable
{
    private static readonly string Assignments = Path.Combine(CExamples.RepoRoot, "assignments");
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-grade-").FullName;

    public static TheoryData<string, string, string> AssignmentData => new()
    {
        { "threads", "Threads", "SharedTotal.cs" },
        { "bounded-buffer", "BoundedBuffer", "BoundedBuffer.cs" },
        { "robust-client", "RobustClient", "Client.cs" },
    };

    // A copy of the assignment's tests, with its program compiled from `source` into bin/Debug/net10.0 (--no-build).
    private string Prepare(string assignment, string assemblyName, string source)
    {
        string folder = Path.Combine(_dir, assignment + "-" + Guid.NewGuid().ToString("N")[..8]);
        string tests = Path.Combine(folder, "tests");
        Directory.CreateDirectory(tests);
        foreach (string scn in Directory.GetFiles(Path.Combine(Assignments, assignment, "tests"), "*.scn"))
            File.Copy(scn, Path.Combine(tests, Path.GetFileName(scn)));
        string output = Path.Combine(folder, "bin", "Debug", "net10.0");
        Directory.CreateDirectory(output);
        IEnumerable<MetadataReference> refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Append(typeof(UserProgram).Assembly.Location).Append(typeof(Kernel).Assembly.Location)
            .Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        SyntaxTree usings = CSharpSyntaxTree.ParseText("global using System; global using System.Collections.Generic; global using System.Linq;");
        CSharpCompilation c = CSharpCompilation.Create(assemblyName, [usings, CSharpSyntaxTree.ParseText(source)], refs,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
        var emitted = c.Emit(Path.Combine(output, assemblyName + ".dll"));
        emitted.Success.ShouldBeTrue(string.Join("\n", emitted.Diagnostics));
        return folder;
    }

    private static (int Code, string Out, string Err) Mk(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Invoke(args);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [MemberData(nameof(AssignmentData))]
    public void The_reference_solution_earns_full_marks_and_the_starter_a_low_score(string assignment, string assemblyName, string file)
    {
        string hidden = Path.Combine(Assignments, "teachers", assignment, "hidden");
        string solution = Prepare(assignment, assemblyName, File.ReadAllText(Path.Combine(Assignments, "teachers", assignment, file)));
        var (code, output, err) = Mk("grade", solution, "--no-build", "--hidden", hidden, "--seeds", "1,2", "--schedulers", "RoundRobin,Random", "--json");
        code.ShouldBe(ExitCodes.Ok, output + err);
        using (JsonDocument doc = JsonDocument.Parse(output))
        {
            doc.RootElement.GetProperty("score").GetDouble().ShouldBe(doc.RootElement.GetProperty("possible").GetInt32());
            doc.RootElement.GetProperty("tests").GetArrayLength().ShouldBe(3); // two student tests and a hidden one
        }

        string starter = Prepare(assignment, assemblyName, File.ReadAllText(Path.Combine(Assignments, assignment, file)));
        (code, output, err) = Mk("grade", starter, "--no-build", "--hidden", hidden, "--seeds", "1", "--schedulers", "RoundRobin,Random");
        code.ShouldBe(ExitCodes.ExpectationFailed, output + err);
        output.ShouldContain("total: ");
        double percent = double.Parse(output.Split("total: ")[1].Split('(')[1].Split('%')[0], CultureInfo.InvariantCulture);
        percent.ShouldBeLessThanOrEqualTo(25);
    }

    [Fact]
    public void An_endless_loop_fails_its_run_at_the_wall_clock_limit_and_the_grader_goes_on()
    {
        const string source = """
            using MicroKernel.Userland.Runtime;
            namespace Threads;
            public sealed class SharedTotal : UserProgram
            {
                public override long Main(Sys sys)
                {
                    // Spins without a syscall: no tick passes, so only the grader's wall clock (1 s, well before the
                    // kernel's 5 s host watchdog) stops it. A loop of yields could reach the tick limit first on a fast machine.
                    while (true) { }
                }
            }
            """;
        string folder = Prepare("threads", "Threads", source);
        string junit = Path.Combine(_dir, "junit.xml");
        var (code, output, err) = Mk("grade", folder, "--no-build", "--seeds", "1", "--schedulers", "RoundRobin", "--timeout", "1", "--junit", junit);
        code.ShouldBe(ExitCodes.ExpectationFailed, output + err);
        output.ShouldContain("total: 0.00 / 2 (0%)");
        output.ShouldContain("timeout: still running after 1 s");
        XDocument x = XDocument.Load(junit);
        x.Descendants("testcase").Count().ShouldBe(2);
        x.Descendants("failure").First().Attribute("message")!.Value.ShouldStartWith("timeout");
    }

    [Theory]
    [InlineData("no-such-folder", "no such assignment folder")]
    [InlineData("EMPTY", "no test scenarios")]
    public void A_missing_assignment_or_one_without_tests_is_a_usage_error(string folder, string message)
    {
        if (folder == "EMPTY") folder = Directory.CreateDirectory(Path.Combine(_dir, "empty")).FullName;
        var (code, _, err) = Mk("grade", folder, "--no-build");
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain(message);
    }

    [Fact]
    public void A_student_builds_the_starter_with_dotnet_build_and_grade_builds_it_too()
    {
        // As a student's copy: the project, its tests, its starter file; MkRoot points at this clone.
        string folder = Path.Combine(_dir, "threads");
        Directory.CreateDirectory(Path.Combine(folder, "tests"));
        foreach (string f in Directory.GetFiles(Path.Combine(Assignments, "threads")))
        {
            string text = File.ReadAllText(f);
            if (f.EndsWith(".csproj", StringComparison.Ordinal))
                text = text.Replace("$(MSBuildThisFileDirectory)../..", CExamples.RepoRoot, StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(folder, Path.GetFileName(f)), text);
        }
        foreach (string scn in Directory.GetFiles(Path.Combine(Assignments, "threads", "tests")))
            File.Copy(scn, Path.Combine(folder, "tests", Path.GetFileName(scn)));
        var (code, output, err) = Mk("grade", folder, "--seeds", "1", "--schedulers", "RoundRobin");
        code.ShouldBe(ExitCodes.ExpectationFailed, output + err);
        output.ShouldContain("two-workers");
        output.ShouldContain("total: 0.00 / 2 (0%)");
        File.Exists(Path.Combine(folder, "bin", "Debug", "net10.0", "Threads.dll")).ShouldBeTrue();
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
