using System.Collections.Immutable;
using System.CommandLine;
using System.Diagnostics;
using MicroKernel.Memory;
using MicroKernel.Sim.Cli;
using MicroKernel.Sim.Tracing;
using MicroKernel.Tracing;
using MicroKernel.Userland.Examples.Fuzz;

namespace MicroKernel.Sim.Fuzz;

/// <summary><c>mk fuzz</c>: random syscalls against the whole kernel, invariants after every one (docs/cli.md).</summary>
/// <param name="output">Where the table and the outcome go.</param>
/// <param name="error">Where errors, a panic's kernel stack and the speed go.</param>
/// <param name="booted">Test only (see <see cref="CliApp.Booted"/>): sees each kernel before it runs.</param>
internal sealed class FuzzCommand(TextWriter output, TextWriter error, Action<Kernel>? booted = null)
{
    /// <summary>Exit code when the fuzzer found a kernel bug (the same as a panic's).</summary>
    public const int Found = ExitCodes.Panic;

    /// <summary>The command with its options.</summary>
    public Command Build()
    {
        var syscalls = new Option<long>("--syscalls") { HelpName = "N", Description = "Stop after this many syscalls", DefaultValueFactory = _ => 10_000 };
        var seed = new Option<ulong>("--seed") { HelpName = "S", Description = "The seed of every argument, interleaving and kernel", DefaultValueFactory = _ => 1 };
        var processes = new Option<int>("--processes") { HelpName = "K", Description = "Fuzz processes per kernel (1..16)", DefaultValueFactory = _ => 4 };
        var protection = new Option<ProtectionModel>("--protection") { Description = "Paging, ArmV7Mpu or ArmV8Mpu", DefaultValueFactory = _ => ProtectionModel.Paging };
        var fromTrace = new Option<string?>("--from-trace") { HelpName = "FILE", Description = "A trace (mk run --trace) whose syscalls are mutated too" };
        var fuzz = new Command("fuzz", "Issue random syscalls of every family from K processes, checking the kernel's invariants after every one; " +
            "print syscall x result, or stop at the first invariant violation, kernel panic, undocumented error or host exception with the line that reproduces it (exit 5)");
        foreach (Option o in new Option[] { syscalls, seed, processes, protection, fromTrace }) fuzz.Options.Add(o);
        fuzz.SetAction(r => Run(new FuzzOptions(r.GetValue(syscalls), r.GetValue(seed), r.GetValue(processes), r.GetValue(protection), r.GetValue(fromTrace))));
        return fuzz;
    }

    /// <summary>Runs one fuzz run and prints it; returns the exit code.</summary>
    public int Run(FuzzOptions options)
    {
        if (options.Syscalls < 1 || options.Processes is < 1 or > 16)
        {
            error.WriteLine("error: --syscalls must be at least 1 and --processes 1..16");
            return ExitCodes.Usage;
        }
        ImmutableArray<FuzzCall> corpus = [];
        if (options.FromTrace is { } path)
        {
            try
            {
                corpus = Corpus(TraceReader.Read(path));
            }
            catch (TraceFormatException e)
            {
                error.WriteLine($"error: {e.Message}");
                return ExitCodes.BadInput;
            }
            if (corpus.IsEmpty)
            {
                error.WriteLine($"error: {path}: the trace holds no syscalls to mutate");
                return ExitCodes.BadInput;
            }
        }
        var clock = Stopwatch.StartNew();
        FuzzResult result = Fuzzer.Run(options, corpus, booted);
        double seconds = clock.Elapsed.TotalSeconds;
        bool terminal = Cli.StandardStreams.IsTerminal(output);
        FuzzReport.Print(output, error, options, result, terminal);
        // Host time: on the error stream, so the table and the outcome stay the same bytes for the same options.
        error.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"speed: {result.Syscalls} syscalls in {seconds:F1} s, {result.Syscalls / Math.Max(seconds, 1e-9):F0} syscalls/s"));
        return result.Failure is null ? ExitCodes.Ok : Found;
    }

    /// <summary>The syscalls a trace recorded (their entries, the first <see cref="Fuzzer.MaxCorpus"/>).</summary>
    internal static ImmutableArray<FuzzCall> Corpus(Tracing.Trace trace) =>
        [.. trace.Events.Select(t => t.Event).Where(e => e.Kind == EventKind.SyscallEnter)
            .Take(Fuzzer.MaxCorpus).Select(e => new FuzzCall(e.Code, e.A0, e.A1, e.A2, e.A3, e.A4, e.A5))];
}
