using System.Text.Json;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Tracing;

public class ShowTests
{
    private static IEnumerable<string> EventLines(string output) => output.Split('\n').Where(l => l.StartsWith('#') && !l.StartsWith("# ", StringComparison.Ordinal));

    [Fact]
    public void Show_prints_strace_style_lines_with_sequence_numbers()
    {
        using var f = new TraceFixture();
        string path = f.Record("pages");
        var (code, output, _) = TraceFixture.Mk("trace", "show", path);
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("# trace of scenario 'pages' (builtin:pages)");
        output.ShouldContain("[pid 2 tid 2]      send(1, 1, 0x10004000, 2, MOVE|RO|BLOCK) = 1");
        output.ShouldContain("handler for type 1 from pid 2 starts at 0x400010");
        output.ShouldContain("FAULT ReadOnly on write at 0x10004000");
        output.ShouldNotContain("entered"); // a call is printed once, when it returns
        EventLines(output).Count().ShouldBe(TraceFixture.Read(path).Events.Count(e => e.Event.Kind != EventKind.SyscallEnter));
    }

    [Fact]
    public void Filters_by_pid_syscall_and_time_range()
    {
        using var f = new TraceFixture();
        string path = f.Record("pages");
        Trace trace = TraceFixture.Read(path);
        var (code, output, _) = TraceFixture.Mk("trace", "show", path, "--pid", "2", "--syscall", "send", "--syscall", "map", "--from", "40", "--to", "130");
        code.ShouldBe(ExitCodes.Ok);
        List<string> lines = EventLines(output).ToList();
        var expected = trace.Events.Select(t => t.Event)
            .Where(e => e.Pid == 2 && e.Kind == EventKind.SyscallExit && e.Code is 20 or 7 && e.Tick is >= 40 and <= 130).ToList();
        expected.Count.ShouldBeGreaterThan(2);
        lines.Count.ShouldBe(expected.Count);
        foreach ((string line, KernelEvent e) in lines.Zip(expected))
        {
            line.ShouldStartWith($"#{e.Seq} ");
            line.ShouldContain("[pid 2 tid 2]");
            line.ShouldMatch(@"\s(send|map)\(");
        }
    }

    [Fact]
    public void Calls_that_never_return_show_as_unfinished_and_io_shows_the_bytes()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo");
        var (_, output, _) = TraceFixture.Mk("trace", "show", path, "--syscall", "write", "--io", "--pid", "1");
        output.ShouldContain("read 24 B at 0x10000100: \"hello from pid 1, tid 1\\n\" (digest ");

        var (_, enters, _) = TraceFixture.Mk("trace", "show", path, "--enters", "--pid", "1", "--syscall", "getpid");
        EventLines(enters).First().ShouldContain("getpid() ...");
        EventLines(enters).Skip(1).First().ShouldContain("getpid() = 1");
    }

    [Fact]
    public void Exit_without_return_is_shown_strace_style()
    {
        using var f = new TraceFixture();
        string scn = f.PathOf("exit.scn");
        File.WriteAllText(scn, "memory 64\nprocess a program=deadlock\n");
        string path = f.Record(scn);
        // Killed while joining: the joins never return.
        string joins = TraceFixture.Mk("trace", "show", path, "--syscall", "thread_join").Out;
        joins.ShouldContain("[pid 1 tid 2]      thread_join(1) = ?");
        joins.ShouldContain("[pid 1 tid 1]      thread_join(2) = ?");
    }

    [Theory]
    [InlineData("replay", "--help")]
    [InlineData("trace", "--help")]
    [InlineData("trace", "show", "--help")]
    [InlineData("trace", "export", "--help")]
    public void Every_trace_command_has_help(params string[] args)
    {
        var (code, output, _) = TraceFixture.Mk(args);
        code.ShouldBe(0);
        output.ShouldContain("Usage:");
    }

    [Fact]
    public void Export_without_a_format_is_a_usage_error()
    {
        using var f = new TraceFixture();
        string path = f.Record("deadlock");
        var (code, _, err) = TraceFixture.Mk("trace", "export", path, f.PathOf("x.json"));
        code.ShouldBe(ExitCodes.Usage);
        err.ShouldContain("--format perfetto");
    }

    [Fact]
    public void Json_lines_are_one_valid_object_per_event_after_the_header()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo");
        var (code, output, _) = TraceFixture.Mk("trace", "show", path, "--jsonl");
        code.ShouldBe(ExitCodes.Ok);
        string[] lines = output.TrimEnd('\n').Split('\n');
        lines.Length.ShouldBe(TraceFixture.Read(path).Events.Count + 1);
        using (JsonDocument header = JsonDocument.Parse(lines[0]))
            header.RootElement.GetProperty("header").GetProperty("scenario").GetProperty("text").GetString()!.ShouldContain("process sieve");
        for (int i = 1; i < lines.Length; i++)
        {
            using JsonDocument doc = JsonDocument.Parse(lines[i]);
            doc.RootElement.GetProperty("seq").GetInt64().ShouldBe(i - 1);
        }
        TraceFixture.Mk("trace", "show", path, "--header").Out.ShouldContain("\"formatVersion\": 1");
    }
}
