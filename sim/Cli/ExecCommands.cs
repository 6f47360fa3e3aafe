using System.CommandLine;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.X86;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// <c>exec PROGRAM [args]</c> runs one x86-64 program (static ELF64 or flat binary) as the only process;
/// <c>disasm PROGRAM</c> lists its code. docs/cli.md and docs/x86.md describe both.
/// </summary>
/// <param name="output">Where the program's console goes.</param>
/// <param name="error">Where faults, panics and errors go.</param>
/// <param name="booted">Test only (see <see cref="CliApp.Booted"/>): sees the kernel before it runs.</param>
internal sealed class ExecCommands(TextWriter output, TextWriter error, Action<Kernel>? booted = null)
{
    /// <summary>Exit status when the program could not be loaded at all.</summary>
    public const int LoadFailed = 127;

    public IEnumerable<Command> Build()
    {
        var program = new Argument<string>("PROGRAM") { Description = "A static ELF64 x86-64 executable or a flat binary (loaded at 0x400000)", HelpName = "PROGRAM" };
        var args = new Argument<string[]>("ARGS") { Description = "Arguments passed to the program (argv[1...])", Arity = ArgumentArity.ZeroOrMore, HelpName = "ARGS" };
        Option<ProtectionModel> protection = CliValues.Enum("--protection", ProtectionModel.Paging);
        protection.Description = "The protection model";
        Option<int> memory = CliValues.Int("--memory", 4096);
        memory.Description = "RAM in 4 KiB frames";
        memory.HelpName = "FRAMES";
        Option<int> slice = CliValues.Int("--instructions-per-tick", 1000);
        slice.Description = "Instructions per scheduling point";
        slice.HelpName = "N";
        var noCache = new Option<bool>("--no-decode-cache") { Description = "Decode every instruction afresh (slower; for comparison)" };
        Option<X86CpuMode?> cpu = TraceCommands.CpuOption();
        cpu.Description = "How the CPU runs the code: interpret (default) or translate (basic blocks compiled to .NET code; the same run)";
        Option<int?> threshold = TraceCommands.TranslateThresholdOption();
        Option<long> maxTicks = CliValues.Long("--max-ticks", 10_000_000);
        maxTicks.Description = "Stop the run past this virtual time";
        maxTicks.HelpName = "TICKS";
        Option<string?> trace = TraceCommands.TraceOption();
        Option<string?> compress = TraceCommands.CompressOption();
        Option<double?> watchdog = CliApp.WatchdogOption();
        Option<string[]> faults = FaultOption.Create();
        Option<Invariants.CheckLevel?> check = CliApp.CheckOption();
        var exec = new Command("exec", "Run one x86-64 program as the only process: console to stdout, a fault report to stderr, " +
            "exit code = the program's exit status (128 + fault reason when it faults, 127 when it cannot be loaded, 137 when " +
            "killed at --max-ticks or in a deadlock, 5 when the kernel or the interpreter failed: a panic; docs/x86.md)");
        exec.Arguments.Add(program);
        exec.Arguments.Add(args);
        foreach (Option o in new Option[] { protection, memory, slice, noCache, cpu, threshold, maxTicks, trace, compress, watchdog, faults, check }) exec.Options.Add(o);
        TraceCommands.CompressNeedsTrace(exec, trace, compress);
        exec.SetAction(r => Exec(r.GetValue(program)!, r.GetValue(args) ?? [], new KernelConfig
        {
            Protection = r.GetValue(protection), Frames = r.GetValue(memory), InstructionsPerTick = r.GetValue(slice), MaxTicks = r.GetValue(maxTicks),
            WatchdogSeconds = r.GetValue(watchdog) ?? new KernelConfig().WatchdogSeconds,
            Check = r.GetValue(check) ?? Invariants.CheckLevel.End,
        }, !r.GetValue(noCache), r.GetValue(trace), r.GetValue(faults) ?? [], TraceCommands.Compression(r, compress), r.GetValue(cpu), r.GetValue(threshold)));

        var file = new Argument<string>("PROGRAM") { Description = "A static ELF64 x86-64 executable or a flat binary", HelpName = "PROGRAM" };
        var disasm = new Command("disasm", "Disassemble a program's code (Iced, NASM syntax)");
        disasm.Arguments.Add(file);
        disasm.SetAction(r => Disasm(r.GetValue(file)!));
        return [exec, disasm];
    }

    private int Exec(string path, string[] args, KernelConfig config, bool decodeCache, string? tracePath = null, IReadOnlyList<string>? faults = null,
        Tracing.TraceCompression compress = Tracing.TraceCompression.None, X86CpuMode? cpu = null, int? threshold = null)
    {
        if (config.Frames < 16 || config.Frames > Hardware.PhysicalMemory.MaxFrames || config.InstructionsPerTick < 1)
        {
            error.WriteLine($"error: --memory must be 16..{Hardware.PhysicalMemory.MaxFrames} frames and --instructions-per-tick at least 1");
            return ExitCodes.Usage;
        }
        // The program is the only process: pid 1.
        Faults.FaultPlan? plan = FaultOption.Append(config.Faults, faults ?? [], 1, error);
        if (plan is null) return ExitCodes.BadInput;
        config = config with { Faults = plan };
        X86Program? image = LoadImage(path, decodeCache);
        if (image is null) return LoadFailed;
        if (cpu is { } mode) image.CpuMode = mode;
        if (threshold is { } n) image.TranslationThreshold = n;
        if (tracePath is not null) return ExecRecorded(path, args, config, decodeCache, tracePath, compress, cpu, threshold);
        using var kernel = new Kernel(config);
        // A failed write of the console must not reach the kernel (it would be a panic): rethrown after the run.
        var guard = new OutputGuard();
        kernel.AddSink(guard.Sink(new ConsoleSink(output, error)));
        Syscalls.ErrorCode spawned = kernel.Spawn(image, Path.GetFileName(path), out Process? process, arguments: args);
        if (spawned != Syscalls.ErrorCode.Ok)
        {
            error.WriteLine($"error: {path}: cannot load into the simulated machine: {image.LoadError ?? Syscalls.ErrorCodes.Message(spawned)}");
            return LoadFailed;
        }
        booted?.Invoke(kernel);
        RunResult run = kernel.Run();
        guard.ThrowIfFailed();
        return Finish(process!, run);
    }

    // exec --trace: the run is the one-process scenario ExecScenario writes, so that replay rebuilds it from the header.
    private int ExecRecorded(string path, string[] args, KernelConfig config, bool decodeCache, string tracePath, Tracing.TraceCompression compress, X86CpuMode? cpu, int? threshold)
    {
        string? text = ExecScenario.Text(path, args, config, out string problem, cpu, threshold);
        if (text is null || !decodeCache)
        {
            error.WriteLine($"error: --trace: {(text is null ? problem + " (a trace stores the run as a scenario)" : "--no-decode-cache is not recorded; drop one of the two")}");
            return ExitCodes.Usage;
        }
        var traces = new TraceCommands(error, error) { Compress = compress }; // stdout is the program's console
        Scenarios.Scenario scenario;
        Kernel kernel;
        Tracing.TraceWriter? recorder;
        try
        {
            scenario = Scenarios.ScenarioParser.Parse(text, ExecScenario.Source(path), Scenarios.ScenarioRunner.Programs);
            // The rules are not scenario text: the trace header records them (and replay applies them) on their own.
            scenario = scenario with { Config = scenario.Config with { Faults = config.Faults, Check = config.Check } };
            recorder = traces.StartRecordingText(tracePath, text, scenario, new Dictionary<string, string?>
            {
                ["exec"] = path, [Tracing.TraceHeader.CheckOption] = config.Check == Invariants.CheckLevel.End ? null : config.Check.ToString().ToLowerInvariant(),
            });
            if (recorder is null) return ExitCodes.IoError;
            try
            {
                kernel = Scenarios.ScenarioRunner.Boot(scenario, [recorder]);
            }
            catch (Scenarios.ScenarioException)
            {
                traces.AbandonRecording(recorder, tracePath);
                throw;
            }
        }
        catch (Scenarios.ScenarioException e)
        {
            error.WriteLine($"error: {path}: cannot load into the simulated machine: {e.Message}");
            return LoadFailed;
        }
        var guard = new OutputGuard();
        kernel.AddSink(guard.Sink(new ConsoleSink(output, error)));
        booted?.Invoke(kernel);
        RunResult result = kernel.Run();
        guard.ThrowIfFailed();
        int status = Finish(result.Processes.Single(), result);
        traces.FinishRecording(recorder, result, tracePath);
        return status;
    }

    // The fault report on stderr and the exit code: the program's status.
    private int Finish(Process process, RunResult result)
    {
        output.Flush();
        foreach (FaultRecord f in process.Faults) error.WriteLine($"fault: {f}{(f.HostMessage is null ? "" : "; .NET message: " + f.HostMessage)}");
        if (result.Panic is { } panic)
        {
            // Not the program's doing: the kernel (or the interpreter) failed, so its exit status means nothing.
            error.WriteLine($"KERNEL PANIC: {panic}");
            return ExitCodes.Panic;
        }
        if (result.Outcome != RunOutcome.Completed) error.WriteLine($"run ended: {result.Outcome}");
        foreach (string r in result.HostReports) error.WriteLine(r);
        if (!result.Deterministic) error.WriteLine("determinism: NOT deterministic: the host watchdog fired");
        return (int)(process.ExitStatus & 0xFF);
    }

    private int Disasm(string path)
    {
        try
        {
            output.Write(ProgramListing.Format(File.ReadAllBytes(path)));
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException or ArgumentException)
        {
            error.WriteLine($"error: {path}: {e.Message}");
            return ExitCodes.BadInput;
        }
    }

    private X86Program? LoadImage(string path, bool decodeCache)
    {
        try
        {
            return X86Program.FromBytes(Path.GetFileName(path), File.ReadAllBytes(path), decodeCache);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ElfFormatException or ArgumentException)
        {
            error.WriteLine($"error: {path}: {e.Message}");
            return null;
        }
    }

    // The program's console output, as it happens, on stdout; every fault a rule injected, as it happens, on stderr
    // (the INJECT line of run's account: with the fault report, exec's account of the run).
    private sealed class ConsoleSink(TextWriter output, TextWriter error) : IEventSink
    {
        private readonly EventFormatter _formatter = new(TraceCommands.SyscallTable());

        // Syscalls are not printed: the kernel hands this sink none (exec --trace records them at full speed).
        public bool TakesSyscalls => false;

        public void Emit(in KernelEvent e)
        {
            if (e.Kind == EventKind.Console) output.Write(e.Text);
            else if (e.Kind == EventKind.Inject) error.WriteLine(_formatter.Format(e));
        }
    }
}
