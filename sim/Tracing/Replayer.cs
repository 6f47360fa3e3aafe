using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Examples;

namespace MicroKernel.Sim.Tracing;

/// <summary>How to replay a trace.</summary>
/// <param name="SyscallsOnly">Run puppets instead of the scenario's programs (trace-driven replay).</param>
/// <param name="LiveScheduler">Schedule with the scenario's own policy instead of following the recorded decisions.</param>
/// <param name="BreakSyscall">Test seam: the <see cref="BreakCall"/>th call of this syscall returns result + 1.</param>
/// <param name="BreakCall">Which call of <see cref="BreakSyscall"/> to alter (1 = the first).</param>
/// <param name="ContextEvents">Recorded events shown before a divergence.</param>
/// <param name="Booted">Test only: sees the replaying kernel before it runs (to plant the kernel bug a recording had).</param>
/// <param name="Cpu">The CPU mode for the x86-64 binaries instead of the scenario's (<c>replay --cpu</c>); null = as recorded.</param>
/// <param name="TranslationThreshold">The binaries' translation threshold instead of the scenario's (<c>replay --translate-threshold</c>); null = as recorded.</param>
internal sealed record ReplayOptions(bool SyscallsOnly = false, bool LiveScheduler = false, string? BreakSyscall = null, int BreakCall = 1, int ContextEvents = 5,
    Action<Kernel>? Booted = null, X86.X86CpuMode? Cpu = null, int? TranslationThreshold = null);

/// <summary>What a replay found.</summary>
/// <param name="Trace">The trace replayed.</param>
/// <param name="Options">How.</param>
/// <param name="Run">The replayed run's result.</param>
/// <param name="EventsReplayed">Events the replaying kernel emitted.</param>
/// <param name="Divergence">The first divergence, or null when the replay matched the recording.</param>
/// <param name="Notes">Limits met (digest-only input bytes...), not divergences.</param>
/// <param name="PuppetSyscalls">Syscalls re-issued by puppets (trace-driven replay).</param>
/// <param name="PuppetThreads">Recorded threads with a puppet script.</param>
internal sealed record ReplayResult(Trace Trace, ReplayOptions Options, RunResult Run, long EventsReplayed, Divergence? Divergence,
    IReadOnlyList<string> Notes, long PuppetSyscalls, int PuppetThreads);

/// <summary>
/// Replays a trace: boots a kernel from the trace's header alone (scenario text, overrides, configuration), runs it
/// under a <see cref="ReplayPolicy"/> (the recorded scheduling decisions) with either the scenario's programs or
/// puppets, and checks every event against the recording with a <see cref="ReplayChecker"/>.
/// </summary>
internal static class Replayer
{
    /// <summary>Replays <paramref name="trace"/>. Throws <see cref="ScenarioException"/> when its scenario no longer loads.</summary>
    public static ReplayResult Replay(Trace trace, ReplayOptions options)
    {
        Scenario scenario = TraceScenario.FromHeader(trace.Header);
        if (options.Cpu is { } cpu) scenario = scenario with { Cpu = cpu }; // replay --cpu: the other CPU must give the same events
        if (options.TranslationThreshold is { } threshold) scenario = scenario with { TranslationThreshold = threshold };
        var checker = new ReplayChecker(trace.Events, options.ContextEvents);
        ReplayPolicy? policy = options.LiveScheduler ? null : new ReplayPolicy(trace.Events, checker, scenario.Config.Quantum);
        using var kernel = new Kernel(scenario.Config, policy);
        policy?.Attach(kernel);
        kernel.AddSink(checker);
        if (options.BreakSyscall is { } name) kernel.BrokenSyscall = (NumberToBreak(kernel, name), options.BreakCall);

        var observer = new Observer(checker);
        PuppetPlan? plan = options.SyscallsOnly ? new PuppetPlan(trace.Events, checker) : null;
        foreach (ProcessSpec spec in scenario.Processes)
        {
            // A puppet still gets its program's memory layout (an x86 binary's segments and stack, a C# program's
            // runtime area with its startup block): its syscalls point into them.
            ProgramImage image = plan is null ? ScenarioRunner.Image(scenario, spec)
                : new PuppetImage(plan, spec.Program, observer, ScenarioRunner.Image(scenario, spec));
            ErrorCode e = kernel.Spawn(image, spec.Name, out Process? _, spec.Priority, spec.FaultPolicy, spec.Arguments, spec.MaxRestarts);
            if (e != ErrorCode.Ok) throw new ScenarioException(scenario.Source, spec.Line, "process", $"cannot spawn '{spec.Name}': {e.Message()}");
        }
        options.Booted?.Invoke(kernel);
        RunResult run = kernel.Run();
        checker.Finish(run, trace.Summary);
        if (plan is not null)
        {
            plan.Finish();
            observer.NotesList.InsertRange(0, plan.Warnings);
        }
        if (policy?.Problem is { } p) observer.NotesList.Add("scheduling: " + p);
        return new ReplayResult(trace, options, run, checker.Position, checker.Divergence, observer.NotesList, observer.IssuedCount, plan?.ThreadCount ?? 0);
    }

    /// <summary>The syscall number named <paramref name="name"/> in <paramref name="kernel"/>'s table, or null.</summary>
    public static long? SyscallNumberOf(Kernel kernel, string name) => kernel.Syscalls.All.FirstOrDefault(s => s.Name == name)?.Number;

    // --break plants a silent kernel bug (one syscall result + 1, no event), so replay must report the divergence.
    private static long NumberToBreak(Kernel kernel, string name) =>
        SyscallNumberOf(kernel, name) ?? throw new ArgumentException($"no syscall named '{name}' (known: {string.Join(", ", kernel.Syscalls.All.Select(s => s.Name))})");

    private sealed class Observer(ReplayChecker checker) : IPuppetObserver
    {
        public List<string> NotesList { get; } = [];

        public long IssuedCount { get; private set; }

        public void Problem(Kernel kernel, string problem) => checker.Report(Math.Max(0, checker.Position - 1), problem);

        public void Note(string note)
        {
            if (NotesList.Count < 20 && !NotesList.Contains(note)) NotesList.Add(note);
        }

        public void Issued() => IssuedCount++;
    }
}
