using System.Text;
using MicroKernel.Sim.Cli;
using MicroKernel.Tests.Tracing;

namespace MicroKernel.Tests.Cli;

/// <summary>
/// mk behaves as System.CommandLine users expect (docs/cli.md): errors and suggestions on stderr, values refused in
/// words, help with argument names and exit codes, <c>-</c> for stdout, no stack trace ever, buffered output.
/// </summary>
public sealed class CliConventionTests
{
    private static (int Code, string Out, string Err) Mk(params string[] args) => TraceFixture.Mk(args);

    [Theory]
    [InlineData(new[] { "run", "--seed", "abc" }, "--seed: expected an unsigned integer, got 'abc'", "mk run --help")]
    [InlineData(new[] { "run", "--seed", "-3" }, "--seed: expected an unsigned integer, got '-3'", "mk run --help")]
    [InlineData(new[] { "run", "--scheduler", "Fifo" }, "--scheduler: expected one of RoundRobin, Priority, Random, got 'Fifo'", "mk run --help")]
    [InlineData(new[] { "run", "--protection", "1" }, "--protection: expected one of Paging, ArmV7Mpu, ArmV8Mpu, got '1'", "mk run --help")]
    [InlineData(new[] { "run", "--watchdog", "soon" }, "--watchdog: expected a number, got 'soon'", "mk run --help")]
    [InlineData(new[] { "exec", "x", "--memory", "lots" }, "--memory: expected an integer, got 'lots'", "mk exec --help")]
    [InlineData(new[] { "trace", "show", "t", "--from", "1.5" }, "--from: expected an integer, got '1.5'", "mk trace show --help")]
    [InlineData(new[] { "fuzz", "--seed", "abc" }, "--seed: expected an unsigned integer, got 'abc'", "mk fuzz --help")]
    [InlineData(new[] { "campaign", "demo", "--jobs", "many" }, "--jobs: expected an integer, got 'many'", "mk campaign --help")]
    [InlineData(new[] { "rn", "demo" }, "Did you mean one of the following?\nrun", "mk --help")]
    public void A_bad_command_line_is_reported_on_stderr_in_words_with_no_help_text(string[] args, string message, string hint)
    {
        var (code, output, err) = Mk(args);
        code.ShouldBe(ExitCodes.Usage);
        output.ShouldBeEmpty();
        err.ShouldContain(message);
        err.ShouldContain($"Run '{hint}' for usage.");
        err.ShouldNotContain("Usage:");
        err.ShouldNotContain("System.");
    }

    [Fact]
    public void Values_are_read_in_any_case_and_culture_invariantly()
    {
        Mk("run", "demo", "--scheduler", "random", "--seed", "7", "--check", "syscall").Code.ShouldBe(ExitCodes.Ok);
        Mk("run", "demo", "--watchdog", "2.5").Code.ShouldBe(ExitCodes.Ok);
    }

    [Fact]
    public void Help_names_the_arguments_and_lists_the_exit_codes()
    {
        var (code, output, err) = Mk("run", "--help");
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldContain(" run [<SCENARIO>] [options]");
        output.ShouldContain("--seed <N>");
        output.ShouldContain("--trace <FILE>");
        output.ShouldContain("--watchdog <SECONDS>");
        output.ShouldContain("--fault <RULE>");
        output.ShouldContain("Exit codes:");
        output.ShouldContain("  3       the run ended in a deadlock");
        output.ShouldContain("  70      internal error of mk");
        output.ShouldContain("  74      a file or stdout could not be read or written");

        string export = Mk("trace", "export", "--help").Out;
        export.ShouldContain(" trace export <FILE> <OUT> [options]");
        export.ShouldContain("--format <FORMAT>");
        export.ShouldContain("or - for stdout");
        // exec exits with its program's status: its own table.
        string exec = Mk("exec", "--help").Out;
        exec.ShouldContain(" exec <PROGRAM> [<ARGS>...] [options]");
        exec.ShouldContain("  127     the program cannot be loaded");
        exec.ShouldContain("  0-255   the program's exit status");
    }

    // Every command path of the tree, the root's ("") first.
    private static IEnumerable<string[]> CommandPaths(System.CommandLine.Command command, string[] path)
    {
        yield return path;
        foreach (System.CommandLine.Command sub in command.Subcommands.Where(c => !c.Hidden))
            foreach (string[] p in CommandPaths(sub, [.. path, sub.Name])) yield return p;
    }

    [Fact]
    public void Every_commands_help_names_its_values_in_capitals_and_ends_with_the_exit_codes()
    {
        List<string[]> paths = CommandPaths(new CliApp(TextWriter.Null, TextWriter.Null).Build(), []).ToList();
        paths.Count.ShouldBeGreaterThan(12);
        foreach (string[] path in paths)
        {
            var (code, output, err) = Mk([.. path, "--help"]);
            string command = string.Join(' ', ["mk", .. path]);
            code.ShouldBe(ExitCodes.Ok, $"{command} --help: {err}");
            output.ShouldContain("Exit codes:", customMessage: command);
            // <N>, <FILE>, <ArmV7Mpu|...>: never System.CommandLine's default, the option's own name in lower case.
            System.Text.RegularExpressions.Regex.Matches(output, "<[a-z][^>]*>").Select(m => m.Value).ShouldBeEmpty($"{command} --help shows lower-case value names");
        }
    }

    [Theory]
    [InlineData("run", "demo", "--trace", "{missing}")]
    [InlineData("run", "demo", "--trace", "{folder}")]
    [InlineData("exec", "{hello}", "--trace", "{missing}")]
    [InlineData("campaign", "demo", "--json", "{missing}")]
    [InlineData("campaign", "demo", "--junit", "{folder}")]
    [InlineData("campaign", "demo", "--out", "{file}")]
    public void A_file_mk_cannot_write_is_an_io_error_with_one_line_naming_it(params string[] args)
    {
        using var f = new TraceFixture();
        string missing = f.PathOf("no/such/folder/file"), folder = f.PathOf(""), file = f.PathOf("a-file");
        File.WriteAllText(file, "");
        string[] line = [.. args.Select(a => a.Replace("{missing}", missing, StringComparison.Ordinal).Replace("{folder}", folder, StringComparison.Ordinal)
            .Replace("{file}", file, StringComparison.Ordinal)
            .Replace("{hello}", Path.Combine(X86.CExamples.FixturesDir, "hello"), StringComparison.Ordinal))];
        var (code, _, err) = Mk(line);
        code.ShouldBe(ExitCodes.IoError, err);
        err.ShouldContain("error: ");
        err.ShouldContain("cannot write");
        err.ShouldContain(line[^1]);
        err.ShouldNotContain(" at ");
    }

    [Theory]
    [InlineData("campaign", "demo", "--json", "-")]
    [InlineData("campaign", "demo", "--junit", "-")]
    [InlineData("campaign", "demo", "--out", "-")]
    [InlineData("campaign", "merge", "x.jsonl", "--junit", "-")]
    [InlineData("grade", "assignments/threads", "--junit", "-")]
    public void Dash_is_refused_where_stdout_already_carries_the_report(params string[] args)
    {
        var (code, output, err) = Mk(args);
        code.ShouldBe(ExitCodes.Usage);
        output.ShouldBeEmpty();
        err.ShouldContain($"{args[^2]}: cannot go to stdout (-), which carries the ");
        File.Exists("-").ShouldBeFalse();
    }

    [Fact]
    public void Trace_export_takes_a_format_keeps_the_old_spelling_and_writes_dash_to_stdout()
    {
        using var f = new TraceFixture();
        string trace = f.Record("pages");
        string viaFormat = f.PathOf("format.json"), viaOld = f.PathOf("old.json");
        Mk("trace", "export", "--format", "perfetto", trace, viaFormat).Code.ShouldBe(ExitCodes.Ok);
        Mk("trace", "export", "--perfetto", trace, viaOld).Code.ShouldBe(ExitCodes.Ok);
        File.ReadAllBytes(viaOld).ShouldBe(File.ReadAllBytes(viaFormat));

        var (code, output, err) = Mk("trace", "export", "--format", "perfetto", trace, "-");
        code.ShouldBe(ExitCodes.Ok, err);
        output.ShouldBe(File.ReadAllText(viaFormat));
        err.ShouldContain("to stdout");

        var none = Mk("trace", "export", trace, viaFormat);
        (none.Code, none.Err.Trim()).ShouldBe((ExitCodes.Usage, "error: say which format: --format perfetto|perfetto-proto"));
        var other = Mk("trace", "export", "--format", "chrome", trace, viaFormat);
        other.Code.ShouldBe(ExitCodes.Usage);
        other.Err.ShouldContain("'chrome'");
    }

    [Fact]
    public void A_file_that_cannot_be_written_is_an_io_error_and_a_trace_is_never_sent_to_stdout()
    {
        using var f = new TraceFixture();
        string trace = f.Record("pages");
        var (code, _, err) = Mk("trace", "export", "--format", "perfetto", trace, f.PathOf("no/such/folder/out.json"));
        code.ShouldBe(ExitCodes.IoError);
        err.ShouldStartWith("error: cannot write '");

        var dash = Mk("run", "demo", "--trace", "-");
        dash.Code.ShouldBe(ExitCodes.Usage);
        dash.Err.ShouldContain("--trace: a trace cannot go to stdout (-)");
    }

    [Fact]
    public void An_unexpected_exception_is_one_line_of_internal_error_after_the_output_so_far()
    {
        var (stdout, stderr, log) = (new LoggingStream("out"), new LoggingStream("err"), new List<string>());
        stdout.Log = stderr.Log = log;
        var streams = new StandardStreams(stdout, stderr);
        var app = new CliApp(streams.Output, streams.Error) { Booted = _ => throw new InvalidOperationException("boom") };

        app.Invoke(["run", "demo"]).ShouldBe(ExitCodes.InternalError);

        string err = stderr.Text;
        err.ShouldBe("internal error: InvalidOperationException: boom (a bug in mk: please report it with the command line)\n");
        err.ShouldNotContain(" at ");
        // The account's header was flushed before the report.
        log.ShouldBe(["out", "err"]);
        stdout.Text.ShouldStartWith("MicroKernel: scenario 'demo'");
    }

    [Fact]
    public void An_output_that_cannot_be_written_is_an_io_error_not_a_crash()
    {
        var error = new StringWriter();
        int code = new CliApp(new FullDiskWriter(), error).Invoke(["run", "demo"]);
        code.ShouldBe(ExitCodes.IoError);
        error.ToString().ShouldBe("error: cannot write the output: No space left on device\n");
    }

    [Theory]
    [InlineData(0)]
    [InlineData(20)] // in the middle of the run: the kernel must not take it for a kernel bug (a panic, exit 5)
    public void A_pipe_its_reader_closed_ends_mk_quietly_with_141(int writesBefore)
    {
        var error = new StringWriter();
        var pipe = new FullDiskWriter(new IOException("Broken pipe", OperatingSystem.IsWindows() ? unchecked((int)0x8007006D) : 32), writesBefore);
        new CliApp(pipe, error).Invoke(["run", "demo", "--dump-maps"]).ShouldBe(ExitCodes.BrokenPipe);
        error.ToString().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("run", "demo")]
    [InlineData("run", "demo", "--dump-maps")]
    [InlineData("exec", "{hello}")]
    public void A_write_that_fails_during_the_run_is_an_io_error_not_a_kernel_panic(params string[] args)
    {
        var error = new StringWriter();
        string[] line = [.. args.Select(a => a.Replace("{hello}", Path.Combine(X86.CExamples.FixturesDir, "hello"), StringComparison.Ordinal))];
        // exec's first write is the program's console, run's the account's header: fail the first write after those.
        int code = new CliApp(new FullDiskWriter(writesBefore: args[0] == "exec" ? 0 : 8), error).Invoke(line);
        code.ShouldBe(ExitCodes.IoError);
        error.ToString().ShouldBe("error: cannot write the output: No space left on device\n");
    }

    [Fact]
    public void The_account_is_buffered_into_few_writes_and_holds_no_escape_code()
    {
        var (stdout, stderr) = (new LoggingStream("out"), new LoggingStream("err"));
        var streams = new StandardStreams(stdout, stderr);
        new CliApp(streams.Output, streams.Error).Invoke(["run", "demo"]).ShouldBe(ExitCodes.Ok);

        string account = stdout.Text;
        int lines = account.Count(c => c == '\n');
        lines.ShouldBeGreaterThan(50);
        // One write per 64 KiB buffer, not one per line.
        stdout.Writes.ShouldBeLessThanOrEqualTo(account.Length / (1 << 16) + 1);
        account.ShouldNotContain('\u001b');
        account.ShouldBe(Mk("run", "demo").Out);
        stderr.Writes.ShouldBe(0);
    }

    [Fact]
    public void Tab_completion_offers_the_scenario_names()
    {
        var (code, output, _) = Mk("[suggest:6]", "run de");
        code.ShouldBe(ExitCodes.Ok);
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(["deadlock", "demo"]);
        Mk("[suggest:11]", "scenarios q").Out.Trim().ShouldBe("queue");
    }

    // A stream that counts the writes it is given and notes in a shared log which stream wrote when.
    private sealed class LoggingStream(string name) : MemoryStream
    {
        public List<string>? Log { get; set; }

        public int Writes { get; private set; }

        public string Text => Encoding.UTF8.GetString(ToArray());

        public override void Write(ReadOnlySpan<byte> buffer) => Write(buffer.ToArray(), 0, buffer.Length);

        public override void Write(byte[] buffer, int offset, int count)
        {
            if (count == 0) return;
            Writes++;
            if (Log is { } log && (log.Count == 0 || log[^1] != name)) log.Add(name);
            base.Write(buffer, offset, count);
        }
    }

    // stdout on a full disk (or, given another exception, a pipe whose reader is gone).
    // The first writesBefore writes succeed.
    private sealed class FullDiskWriter(IOException? failure = null, int writesBefore = 0) : StringWriter
    {
        private readonly IOException _failure = failure ?? new IOException("No space left on device");
        private int _left = writesBefore;

        public override void Write(char value) => Fail();

        public override void Write(string? value) => Fail();

        public override void WriteLine(string? value) => Fail();

        private void Fail()
        {
            if (_left-- <= 0) throw _failure;
        }
    }
}
