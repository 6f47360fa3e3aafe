using System.Security.Cryptography;
using System.Text;
using Iced.Intel;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.Tracing;

/// <summary>
/// A trace records the SHA-256 of every x86-64 binary its scenario loads; replay refuses (exit 2, before running
/// anything) a trace whose binary changed since, naming the file and both digests.
/// </summary>
public sealed class BinaryDigestTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("mk-digest-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Program => Path.Combine(_dir, "prog");

    // A flat binary that writes "hi\n" and exits with status.
    private void WriteProgram(int status) => File.WriteAllBytes(Program, X86TestMachine.Assemble(a =>
    {
        Label message = a.CreateLabel();
        a.mov(eax, (int)SyscallNumber.Write);
        a.lea(rdi, __[message]);
        a.mov(esi, 3);
        a.syscall();
        a.mov(edi, status);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        a.Label(ref message);
        a.db("hi\n"u8.ToArray());
    }, 0x400000));

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    // Records a scenario running the binary twice (one digest for both) beside a C# program; returns the trace path.
    private string Record()
    {
        WriteProgram(status: 3);
        string scenario = Path.Combine(_dir, "x.scn");
        File.WriteAllText(scenario, "process a binary=prog\nprocess b program=hello\nprocess c binary=prog\n");
        string trace = Path.Combine(_dir, "x.mktrace");
        var (code, output, err) = TraceFixture.Mk("run", scenario, "--trace", trace);
        err.ShouldBeEmpty();
        code.ShouldBe(ExitCodes.Ok, output);
        return trace;
    }

    [Fact]
    public void The_header_records_the_sha256_of_each_binary_once()
    {
        string trace = Record();
        Trace t = TraceFixture.Read(trace);
        t.Header.Binaries.ShouldBe(new Dictionary<string, string> { [Program] = Sha256(Program) });
        Encoding.UTF8.GetString(t.Header.ToJson()).ShouldContain($"\"binaries\": {{\n    \"{Program}\": \"{Sha256(Program)}\"");
        TraceFixture.Mk("trace", "show", trace).Out.ShouldContain($"# binary: {Program} sha256 {Sha256(Program)}");
    }

    [Fact]
    public void An_unchanged_binary_replays()
    {
        string trace = Record();
        var (code, output, err) = TraceFixture.Mk("replay", trace);
        (code, err).ShouldBe((ExitCodes.Ok, ""), output);
        output.ShouldContain("OK: all");
        TraceFixture.Mk("replay", "--syscalls-only", trace).Code.ShouldBe(ExitCodes.Ok);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_changed_binary_stops_the_replay_before_it_runs_naming_the_file_and_both_digests(bool syscallsOnly)
    {
        string trace = Record();
        string recorded = Sha256(Program);
        WriteProgram(status: 4); // one immediate differs: the same size, other code
        string now = Sha256(Program);
        now.ShouldNotBe(recorded);

        var (code, output, err) = syscallsOnly ? TraceFixture.Mk("replay", "--syscalls-only", trace) : TraceFixture.Mk("replay", trace);
        code.ShouldBe(ExitCodes.BadInput);
        output.ShouldBeEmpty(); // nothing ran: no divergence report
        err.ShouldContain($"field 'binary': {Program} changed since the recording");
        err.ShouldContain($"its SHA-256 is now {now}, the trace recorded {recorded}");
        err.ShouldNotContain("diverge");
    }

    [Fact]
    public void A_trace_without_the_field_reads_with_no_binaries_and_checks_none()
    {
        string trace = Record();
        TraceHeader header = TraceFixture.Read(trace).Header;
        string json = Encoding.UTF8.GetString(header.ToJson());
        string old = json.Replace($"\"binaries\": {{\n    \"{Program}\": \"{Sha256(Program)}\"\n  }},\n", "");
        old.ShouldNotContain("binaries");
        TraceHeader.FromJson(Encoding.UTF8.GetBytes(old), "old.mktrace", 0).Binaries.ShouldBeEmpty();
    }

    [Fact]
    public void A_scenario_without_binaries_records_an_empty_object()
    {
        using var f = new TraceFixture();
        string trace = f.Record("demo");
        Trace t = TraceFixture.Read(trace);
        t.Header.Binaries.ShouldBeEmpty();
        Encoding.UTF8.GetString(t.Header.ToJson()).ShouldContain("\"binaries\": {}");
    }

    [Fact]
    public void Exec_trace_records_the_run_as_a_one_process_scenario_with_the_binarys_digest()
    {
        WriteProgram(status: 3);
        string trace = Path.Combine(_dir, "exec.mktrace");
        var (code, output, err) = TraceFixture.Mk("exec", "--trace", trace, "--memory", "64", Program, "one", "two");
        code.ShouldBe(3); // exec's exit code is still the program's status
        output.ShouldBe("hi\n"); // stdout is the program's console alone
        err.ShouldStartWith("trace: ");
        err.ShouldContain($"written to {trace}");

        TraceHeader h = TraceFixture.Read(trace).Header;
        h.Binaries.ShouldBe(new Dictionary<string, string> { [Program] = Sha256(Program) });
        h.ScenarioSource.ShouldBe("exec:" + Program);
        h.ScenarioText.ShouldContain($"process prog binary=\"{Program}\" args=\"one two\"");
        h.Config["Frames"].ShouldBe("64");
        TraceFixture.Mk("replay", trace).Code.ShouldBe(ExitCodes.Ok);

        WriteProgram(status: 9);
        (code, output, err) = TraceFixture.Mk("replay", trace);
        (code, output).ShouldBe((ExitCodes.BadInput, ""));
        err.ShouldContain($"{Program} changed since the recording: its SHA-256 is now {Sha256(Program)}");
    }

    [Theory]
    [InlineData("a b")]
    [InlineData("")]
    [InlineData("say \"hi\"")]
    public void Exec_trace_refuses_an_argument_a_scenario_cannot_hold(string argument)
    {
        WriteProgram(status: 0);
        string trace = Path.Combine(_dir, "bad.mktrace");
        var (code, output, err) = TraceFixture.Mk("exec", "--trace", trace, Program, argument);
        (code, output).ShouldBe((ExitCodes.Usage, ""));
        err.ShouldContain("error: --trace: the argument");
        File.Exists(trace).ShouldBeFalse();
    }
}
