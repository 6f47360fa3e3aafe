using System.CommandLine;
using System.CommandLine.Invocation;
using System.CommandLine.Parsing;
using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Userland.Examples;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// The mk command line. With no arguments it runs the demo; <c>run [scenario]</c> runs a scenario file or a
/// built-in one. Output goes to the given writers so tests can capture it.
/// </summary>
public sealed class CliApp(TextWriter output, TextWriter error)
{
    /// <summary>
    /// TEST ONLY, null in every normal run: sees each booted kernel (processes spawned, not yet run) of <c>run</c> and
    /// <c>exec</c>, so that tests can plant a kernel bug and check how the CLI reports the panic.
    /// </summary>
    internal Action<Kernel>? Booted { get; init; }

    /// <summary>Reads an environment variable (tests give their own: a campaign takes its shard from a cluster's variables).</summary>
    internal Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>
    /// Parses <paramref name="args"/> and runs the chosen command; returns the exit code (docs/cli.md). A bad command
    /// line prints its errors and suggestions on stderr (exit 1), never the help text. Output is flushed before this
    /// returns. No exception escapes: an I/O error is one line and exit code 74 (a pipe its reader closed: no line,
    /// exit code 141), any other exception an internal error, one line and exit code 70, after the output written so far.
    /// </summary>
    public int Invoke(string[] args)
    {
        try
        {
            RootCommand root = Build();
            ParseResult parsed = root.Parse(args);
            // A bad command line writes everything, the suggestions too, to stderr: stdout stays for what mk produces.
            bool bad = parsed.Action is ParseErrorAction;
            if (parsed.Action is ParseErrorAction parseError) parseError.ShowHelp = false;
            int code = parsed.Invoke(new InvocationConfiguration { Output = bad ? error : output, Error = error, EnableDefaultExceptionHandler = false });
            if (bad) error.WriteLine($"Run '{CommandPath(parsed)} --help' for usage.");
            output.Flush();
            return code;
        }
        catch (IOException e) when (IsBrokenPipe(e))
        {
            // The reader has what it wanted: no message, as for a tool that SIGPIPE ends.
            return ExitCodes.BrokenPipe;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Report($"error: cannot write the output: {e.Message}");
            return ExitCodes.IoError;
        }
        catch (Exception e)
        {
            Report($"internal error: {e.GetType().Name}: {e.Message} (a bug in mk: please report it with the command line)");
            return ExitCodes.InternalError;
        }
    }

    // EPIPE (errno 32 on Linux and macOS, which .NET passes on as the HResult); on Windows ERROR_BROKEN_PIPE or
    // ERROR_NO_DATA as an HResult.
    private static bool IsBrokenPipe(IOException e) =>
        OperatingSystem.IsWindows() ? e.HResult is unchecked((int)0x8007006D) or unchecked((int)0x800700E8) : e.HResult == 32;

    // The crash report comes after whatever account was written before it (the error writer flushes the output first).
    private void Report(string line)
    {
        try
        {
            error.WriteLine(line);
            error.Flush();
        }
        catch (IOException)
        {
            // Nowhere left to say it: the exit code does.
        }
    }

    private static string CommandPath(ParseResult parsed)
    {
        var names = new List<string>();
        for (CommandResult? c = parsed.CommandResult; c is not null; c = c.Parent as CommandResult) names.Insert(0, c.Command.Name);
        names[0] = "mk";
        return string.Join(' ', names);
    }

    /// <summary>The command tree (tests walk it: every command's help names its values).</summary>
    internal RootCommand Build()
    {
        var root = new RootCommand("MicroKernel: a deterministic simulated microkernel. With no command, runs the demo scenario.");

        var scenario = new Argument<string?>("SCENARIO")
        {
            Description = $"A scenario file (docs/scenario-format.md) or a built-in name ({string.Join(", ", ScenarioRunner.BuiltInNames)}); default: demo",
            Arity = ArgumentArity.ZeroOrOne,
            HelpName = "SCENARIO",
        };
        scenario.CompletionSources.Add(ScenarioRunner.BuiltInNames.ToArray());
        Option<ulong?> seed = CliValues.Unsigned("--seed");
        seed.Description = "Override the scenario's seed";
        seed.HelpName = "N";
        Option<PolicyKind?> policy = CliValues.Enum<PolicyKind>("--scheduler");
        policy.Description = "Override the scheduling policy";
        Option<ProtectionModel?> protection = CliValues.Enum<ProtectionModel>("--protection");
        protection.Description = "Override the protection model";
        var switches = new Option<bool>("--switches") { Description = "Also print every context switch" };
        var maps = new Option<bool>("--dump-maps") { Description = "Print each process's memory map and page tables (or MPU regions) when it exits" };
        Option<double?> watchdog = WatchdogOption();
        Option<string?> trace = TraceCommands.TraceOption();
        Option<string?> compress = TraceCommands.CompressOption();
        Option<string[]> faults = FaultOption.Create();
        Option<CheckLevel?> check = CheckOption();
        Option<X86.X86CpuMode?> cpu = TraceCommands.CpuOption();
        cpu.Description = "Run the scenario's x86-64 binaries with this CPU instead of its cpu directive: translate (the default) or interpret; the same run";
        Option<int?> threshold = TraceCommands.TranslateThresholdOption();
        var json = new Option<bool>("--json") { Description = "Print the run as one JSON document (outcome, processes, faults, console, counters, expectations) instead of the account" };
        var run = new Command("run", "Run a scenario and print what happened");
        run.Arguments.Add(scenario);
        foreach (Option o in new Option[] { seed, policy, protection, switches, maps, watchdog, trace, compress, faults, check, cpu, threshold, json }) run.Options.Add(o);
        TraceCommands.CompressNeedsTrace(run, trace, compress);
        run.SetAction(r => RunScenario(r.GetValue(scenario) ?? "demo", r.GetValue(seed), r.GetValue(policy), r.GetValue(protection), r.GetValue(switches), r.GetValue(maps), r.GetValue(trace),
            r.GetValue(watchdog), r.GetValue(faults) ?? [], r.GetValue(check), r.GetValue(json), TraceCommands.Compression(r, compress), r.GetValue(cpu), r.GetValue(threshold)));
        root.Subcommands.Add(run);

        var programs = new Command("programs", "List the example programs scenarios can run");
        programs.SetAction(_ =>
        {
            foreach (string name in ExamplePrograms.All.Keys) output.WriteLine(name);
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(programs);

        var scenarios = new Command("scenarios", "Print a built-in scenario's text (a starting point for your own)");
        var which = new Argument<string>("NAME") { Description = "Built-in scenario name", DefaultValueFactory = _ => "demo", HelpName = "NAME" };
        which.CompletionSources.Add(ScenarioRunner.BuiltInNames.ToArray());
        scenarios.Arguments.Add(which);
        scenarios.SetAction(r =>
        {
            string name = r.GetValue(which)!;
            if (!ScenarioRunner.BuiltInNames.Contains(name))
            {
                error.WriteLine($"no built-in scenario '{name}' (known: {string.Join(", ", ScenarioRunner.BuiltInNames)})");
                return ExitCodes.Usage;
            }
            output.Write(ScenarioRunner.BuiltInText(name));
            return ExitCodes.Ok;
        });
        root.Subcommands.Add(scenarios);

        foreach (Command c in new ExecCommands(output, error, Booted).Build()) root.Subcommands.Add(c);
        root.Subcommands.Add(new GradeCommand(output, error).Build());
        root.Subcommands.Add(new Fuzz.FuzzCommand(output, error, Booted).Build());

        var traces = new TraceCommands(output, error);
        root.Subcommands.Add(traces.Replay());
        root.Subcommands.Add(traces.Trace());
        root.Subcommands.Add(new Campaigns.CampaignCommand(output, error, Environment).Build());

        root.SetAction(_ => RunScenario("demo", null, null, null, false, false));
        CliValues.Apply(root);
        // --help also lists the exit codes (one help option serves every subcommand).
        foreach (Option o in root.Options)
            if (o is System.CommandLine.Help.HelpOption help && help.Action is { } action) help.Action = new HelpWithExitCodes(action, output);
        return root;
    }

    /// <summary>The <c>--watchdog SECONDS</c> option of run and exec: host seconds without a scheduling point; 0 = off.</summary>
    internal static Option<double?> WatchdogOption()
    {
        Option<double?> o = CliValues.Number("--watchdog");
        o.Description = "Kill a process whose C# code runs this many host seconds without a scheduling point (fault Runaway; the run is then not deterministic); 0 = off, default 5";
        o.HelpName = "SECONDS";
        o.Validators.Add(r =>
        {
            // A value that is no number at all is reported by the parser itself.
            if (r.Tokens.Count == 1 && double.TryParse(r.Tokens[0].Value, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out double v)
                && (v < 0 || !double.IsFinite(v)))
                r.AddError("--watchdog must be 0 (off) or a positive number of seconds");
        });
        return o;
    }

    /// <summary>The <c>--check</c> option of run and exec: when the kernel runs its invariant catalogue.</summary>
    internal static Option<CheckLevel?> CheckOption()
    {
        Option<CheckLevel?> o = CliValues.Enum<CheckLevel>("--check");
        o.Description = "When to check the kernel's invariants: end (default), syscall (after each syscall) or tick (at every scheduling point); a violation is a kernel panic (exit 5)";
        return o;
    }

    private int RunScenario(string source, ulong? seed, PolicyKind? policy, ProtectionModel? protection, bool switches, bool maps, string? tracePath = null,
        double? watchdog = null, IReadOnlyList<string>? faults = null, CheckLevel? check = null, bool json = false, Tracing.TraceCompression compress = Tracing.TraceCompression.None,
        X86.X86CpuMode? cpu = null, int? threshold = null)
    {
        Scenario s;
        try
        {
            s = ScenarioRunner.Load(source);
        }
        catch (ScenarioException e)
        {
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        KernelConfig c = s.Config;
        Faults.FaultPlan? plan = FaultOption.Append(c.Faults, faults ?? [], s.Processes.Count, error);
        if (plan is null) return ExitCodes.BadInput;
        s = s with
        {
            Config = c with
            {
                Seed = seed ?? c.Seed,
                Policy = policy ?? c.Policy,
                Protection = protection ?? c.Protection,
                Faults = plan,
                WatchdogSeconds = watchdog ?? c.WatchdogSeconds,
                Check = check ?? c.Check
            },
            // --cpu and --translate-threshold decide how the binaries run, not what they do: the same events either way.
            Cpu = cpu ?? s.Cpu,
            TranslationThreshold = threshold ?? s.TranslationThreshold,
        };
        // With --json, stdout holds the document alone: the trace's summary line goes to stderr.
        var traces = new TraceCommands(json ? error : output, error) { Compress = compress };
        Tracing.TraceWriter? recorder = null;
        if (tracePath is not null)
        {
            var options = new Dictionary<string, string?>
            {
                ["scenario"] = source, ["seed"] = seed?.ToString(System.Globalization.CultureInfo.InvariantCulture), ["scheduler"] = policy?.ToString(),
                ["protection"] = protection?.ToString(), ["switches"] = switches ? "true" : null, ["dump-maps"] = maps ? "true" : null,
                [Tracing.TraceHeader.CheckOption] = check?.ToString().ToLowerInvariant(),
                [Tracing.TraceHeader.CpuOption] = cpu is null ? null : Tracing.TraceHeader.CpuName(cpu.Value),
                [Tracing.TraceHeader.TranslateThresholdOption] = threshold?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            };
            recorder = traces.StartRecording(tracePath, source, s, options);
            if (recorder is null) return ExitCodes.IoError;
        }
        var report = new RunReport(json ? TextWriter.Null : output, switches, maps);
        report.Header(s);
        Kernel kernel;
        try
        {
            kernel = ScenarioRunner.Boot(s, recorder is null ? null : [recorder]);
        }
        catch (ScenarioException e)
        {
            if (recorder is not null) traces.AbandonRecording(recorder, tracePath!);
            error.WriteLine($"error: {e.Message}");
            return ExitCodes.BadInput;
        }
        using (kernel)
        {
            // A failed write of the account must not reach the kernel (it would be a panic): rethrown after the run.
            var guard = new OutputGuard();
            if (!json) kernel.AddSink(guard.Sink(report.Printer(kernel)));
            var expectations = new ExpectationChecker();
            if (s.Expectations.Count > 0 || json) kernel.AddSink(expectations);
            if (maps) kernel.ExitObserver = guard.Observer(report.DumpMaps);
            Booted?.Invoke(kernel);
            RunResult result = kernel.Run();
            guard.ThrowIfFailed();
            report.Summary(kernel, result);
            RunReport.HostMessages(error, result);
            IReadOnlyList<ExpectationResult> checks = expectations.Check(s.Expectations, result);
            report.Expectations(s, checks);
            if (recorder is not null) traces.FinishRecording(recorder, result, tracePath!);
            int failed = checks.Count(c => !c.Met);
            if (failed > 0) error.WriteLine($"error: {failed} of {checks.Count} expectations failed");
            // A deadlock, tick limit or panic keeps its own exit code; expectations decide only a completed run's.
            int code = result.Outcome == RunOutcome.Completed && failed > 0 ? ExitCodes.ExpectationFailed : ExitCodes.For(result.Outcome);
            if (json) RunJson.Write(output, s, kernel, result, expectations, checks, code);
            return code;
        }
    }
}
