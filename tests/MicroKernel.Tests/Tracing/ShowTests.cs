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
            .Where(e => e.Pid == 2 && e.Tick is >= 40 and <= 130
                && ((e.Kind == EventKind.SyscallExit && e.Code is 20 or 7) || e.Kind is EventKind.Fault or EventKind.ThreadExit or EventKind.ProcessExit)).ToList();
        expected.Count.ShouldBeGreaterThan(2);
        lines.Count.ShouldBe(expected.Count);
        foreach ((string line, KernelEvent e) in lines.Zip(expected))
        {
            line.ShouldStartWith($"#{e.Seq} ");
            line.ShouldContain("[pid 2 tid 2]");
            line.ShouldMatch(@"\s(send|map)\(|\s(---|\+\+\+) ");
        }
    }

    [Fact]
    public void Calls_that_never_return_show_as_unfinished_and_io_shows_the_bytes()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo");
        var (_, output, _) = TraceFixture.Mk("trace", "show", path, "--syscall", "write", "--io", "--pid", "1");
        output.ShouldContain("read 24 B at 0x10000100: \"hello from pid 1, tid 1\\n\" (digest ");
        output.ShouldContain("[pid 1 tid 1]      write(\"hello from pid 1, tid 1\\n\", 24) = 24");

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
        TraceFixture.Mk("trace", "show", path, "--header").Out.ShouldContain("\"formatVersion\": 3");
    }

    [Fact]
    public void Errors_show_the_kernels_message_and_failed_only_keeps_only_them_with_faults_and_exits()
    {
        using var f = new TraceFixture();
        string path = f.Record("rpc");
        var (code, output, _) = TraceFixture.Mk("trace", "show", path, "--failed-only");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldContain("rpc_lookup(\"sensor\", 6) = -20 NoSuchObject (no such RPC service object)");
        List<string> lines = EventLines(output).ToList();
        lines.ShouldNotBeEmpty();
        lines.ShouldAllBe(l => l.Contains(") = -") || l.Contains(" +++ ") || l.Contains(" --- "));
        lines.ShouldContain(l => l.EndsWith("+++ exited with 0 +++"));
    }

    [Fact]
    public void Syscall_filter_keeps_faults_and_exits_and_an_unknown_name_is_an_error()
    {
        using var f = new TraceFixture();
        string path = f.Record("pages");
        string output = TraceFixture.Mk("trace", "show", path, "--syscall", "write").Out;
        output.ShouldContain("[pid 4 tid 4]      --- FAULT ReadOnly on write at 0x10004000 ---");
        output.ShouldContain("[pid 4]            +++ exited with 129 +++");
        output.ShouldContain("[pid 4 tid 4]      +++ thread exited with 129 +++");
        output.ShouldNotContain(" send(");

        var (code, none, err) = TraceFixture.Mk("trace", "show", path, "--syscall", "nosuch");
        code.ShouldBe(ExitCodes.BadInput);
        none.ShouldBeEmpty();
        err.ShouldContain("no syscall named 'nosuch'");
        err.ShouldContain("send, shm_address");
    }

    [Theory]
    [InlineData(new byte[] { (byte)'h', (byte)'i', 10 }, 32, "\"hi\\n\"")]
    [InlineData(new byte[] { 0, 1, (byte)'7', 27, (byte)'a', 255, 9, (byte)'"', (byte)'\\' }, 32, "\"\\0\\0017\\33a\\377\\t\\\"\\\\\"")]
    [InlineData(new byte[] { (byte)'a', (byte)'b', (byte)'c' }, 2, "\"ab\"...")]
    [InlineData(new byte[] { 13, 11, 12 }, 0, "\"\"...")]
    public void Strings_are_escaped_as_strace_escapes_them(byte[] bytes, int limit, string expected) =>
        StraceString.Quote(bytes, limit).ShouldBe(expected);

    [Fact]
    public void String_limit_relative_ticks_and_durations_follow_strace_options()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo");
        string cut = TraceFixture.Mk("trace", "show", path, "--syscall", "write", "--pid", "1", "-s", "5").Out;
        cut.ShouldContain("write(\"hello\"..., 24) = 24");
        cut.ShouldNotContain("hello from");

        string timed = TraceFixture.Mk("trace", "show", path, "--syscall", "sleep", "-T", "-r").Out;
        List<string> lines = EventLines(timed).Where(l => l.Contains(" sleep(")).ToList();
        lines.Count.ShouldBeGreaterThan(1);
        // -T: <ticks from entry to exit>; a sleep(N) of a thread that was not preempted lasts at least N ticks.
        lines.ShouldAllBe(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"sleep\(\d+\) = 0 <\d+>$"));
        // -r: the first line's delta is +0, each next one the ticks since the line before.
        string[] ticks = EventLines(timed).Select(l => l.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]).ToArray();
        ticks[0].ShouldBe("+0");
        ticks.ShouldAllBe(t => t.StartsWith('+'));
    }

    [Fact]
    public void Summary_counts_calls_errors_and_ticks_per_syscall()
    {
        using var f = new TraceFixture();
        string path = f.Record("rpc");
        Trace trace = TraceFixture.Read(path);
        var (code, output, _) = TraceFixture.Mk("trace", "show", path, "-c");
        code.ShouldBe(ExitCodes.Ok);
        string[] lines = output.TrimEnd('\n').Split('\n');
        lines[0].ShouldBe("% time       ticks  ticks/call     calls    errors syscall");
        var exits = trace.Events.Select(t => t.Event).Where(e => e.Kind == EventKind.SyscallExit).ToList();
        string lookup = lines.Single(l => l.EndsWith(" rpc_lookup"));
        string[] cols = lookup.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        cols[3].ShouldBe(exits.Count(e => e.Code == exits.First(x => x.Result == -20).Code).ToString(CultureInfo.InvariantCulture));
        cols[4].ShouldBe(exits.Count(e => e.Code == exits.First(x => x.Result == -20).Code && e.Result < 0).ToString(CultureInfo.InvariantCulture));
        string total = lines[^1];
        total.ShouldEndWith(" total");
        total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3].ShouldBe(
            trace.Events.Count(t => t.Event.Kind == EventKind.SyscallEnter).ToString(CultureInfo.InvariantCulture));
        output.ShouldNotContain("# trace of");
    }

    [Fact]
    public void Output_goes_to_the_file_named_by_o()
    {
        using var f = new TraceFixture();
        string path = f.Record("demo");
        string file = f.PathOf("show.txt");
        var (code, output, _) = TraceFixture.Mk("trace", "show", path, "-o", file, "--syscall", "write");
        code.ShouldBe(ExitCodes.Ok);
        output.ShouldBeEmpty();
        File.ReadAllText(file).ShouldBe(TraceFixture.Mk("trace", "show", path, "--syscall", "write").Out);
        var (bad, _, err) = TraceFixture.Mk("trace", "show", path, "-o", f.PathOf("no/such/dir/x.txt"));
        bad.ShouldBe(ExitCodes.IoError);
        err.ShouldContain("cannot write");
    }
}
