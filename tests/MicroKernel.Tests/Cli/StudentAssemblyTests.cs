using MicroKernel.Sim.Cli;
using MicroKernel.Userland.Runtime;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// Scenarios that name programs of a student's own assembly (<c>program=FILE.dll:TYPE</c>): each process gets its
/// own program object, and an assembly with a writable static field is refused at load.
/// </summary>
public sealed class StudentAssemblyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-student-").FullName;

    private const string Counter = """
        using MicroKernel.Userland.Runtime;
        namespace Student;
        public sealed class Counter : UserProgram
        {
            private long _count;
            public override long Main(Sys sys)
            {
                long limit = long.Parse(sys.Args[0], System.Globalization.CultureInfo.InvariantCulture);
                for (long i = 0; i < limit; i++) { _count++; sys.Yield(); }
                sys.PrintLine("counted " + _count.ToString(System.Globalization.CultureInfo.InvariantCulture));
                return 0;
            }
        }
        """;

    // Emits a library compiled against the userland runtime into the test's folder; its name must be unique in the
    // test host (an assembly, once loaded, stays loaded).
    private string Build(string source)
    {
        string name = "Student" + Guid.NewGuid().ToString("N");
        IEnumerable<MetadataReference> refs = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.", StringComparison.Ordinal) || Path.GetFileName(p) is "netstandard.dll")
            .Append(typeof(UserProgram).Assembly.Location).Append(typeof(Kernel).Assembly.Location)
            .Distinct(StringComparer.Ordinal).Select(p => (MetadataReference)MetadataReference.CreateFromFile(p));
        CSharpCompilation c = CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(source)], refs,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
        string path = Path.Combine(_dir, name + ".dll");
        var emitted = c.Emit(path);
        emitted.Success.ShouldBeTrue(string.Join("\n", emitted.Diagnostics));
        return path;
    }

    private (int Code, string Out, string Err) Run(string scenario, params string[] options)
    {
        string file = Path.Combine(_dir, "s.scn");
        File.WriteAllText(file, scenario);
        var output = new StringWriter();
        var error = new StringWriter();
        int code = new CliApp(output, error).Invoke(["run", file, .. options]);
        return (code, output.ToString(), error.ToString());
    }

    [Fact]
    public void Two_processes_of_one_student_program_each_get_their_own_object()
    {
        string dll = Path.GetFileName(Build(Counter));
        var (code, output, err) = Run($"""
            process a program={dll}:Counter args=3
            process b program={dll}:Student.Counter args=5
            expect process=a prints="counted 3"
            expect process=b prints="counted 5"
            """);
        code.ShouldBe(ExitCodes.Ok, output + err);
        output.ShouldContain("expectations: 2 of 2 met");
        output.ShouldContain("| 1   | a    | Counter");
    }

    [Fact]
    public void A_writable_static_field_is_refused_at_load_naming_the_field()
    {
        string dll = Path.GetFileName(Build(Counter.Replace("private long _count;", "private static long _count;", StringComparison.Ordinal)));
        var (code, _, err) = Run($"process a program={dll}:Counter args=3\n");
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain("Student.Counter._count is a writable static field");
        err.ShouldContain("MK0001");
    }

    [Theory]
    [InlineData("Missing", "has no program class 'Missing'", "known: Student.Counter")]
    [InlineData("Counter", "no such assembly", "build the program's project first")]
    public void A_wrong_type_or_file_is_bad_input_with_a_message(string type, string message, string hint)
    {
        string dll = message == "no such assembly" ? "nowhere.dll" : Path.GetFileName(Build(Counter));
        var (code, _, err) = Run($"process a program={dll}:{type} args=3\n");
        code.ShouldBe(ExitCodes.BadInput);
        err.ShouldContain(message);
        err.ShouldContain(hint);
    }

    [Fact]
    public void Run_json_is_one_document_with_the_outcome_processes_console_and_expectations()
    {
        string dll = Path.GetFileName(Build(Counter));
        var (code, output, err) = Run($"""
            process a program={dll}:Counter args=2
            process b program=faulter
            expect process=a prints="counted 2"
            expect process=b status=0
            """, "--json");
        code.ShouldBe(ExitCodes.ExpectationFailed, err);
        using var doc = System.Text.Json.JsonDocument.Parse(output);
        var root = doc.RootElement;
        root.GetProperty("outcome").GetString().ShouldBe("Completed");
        root.GetProperty("exitCode").GetInt32().ShouldBe(ExitCodes.ExpectationFailed);
        var processes = root.GetProperty("processes");
        processes[0].GetProperty("console").GetString().ShouldBe("counted 2\n");
        processes[1].GetProperty("exitStatus").GetInt64().ShouldBe(129);
        processes[1].GetProperty("faults")[0].GetProperty("reason").GetString().ShouldBe("ReadOnly");
        root.GetProperty("expectations")[1].GetProperty("met").GetBoolean().ShouldBeFalse();
        root.GetProperty("counters").GetProperty("framesUser").GetInt64().ShouldBe(0);
        Run($"process a program={dll}:Counter args=2\nprocess b program=faulter\n", "--json").Out.ShouldNotContain("tick who");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A loaded assembly may hold its file open on some systems: a leftover temp file is harmless.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
