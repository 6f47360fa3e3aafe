using MicroKernel.Processes;

namespace MicroKernel.Sim.Scenarios;

/// <summary>One process line of a scenario.</summary>
/// <param name="Name">The process name.</param>
/// <param name="Program">The example program it runs, <c>PATH.dll:TYPE</c> for a program class of an assembly, or the path of the x86-64 binary when <paramref name="IsBinary"/>.</param>
/// <param name="Priority">Its priority.</param>
/// <param name="FaultPolicy">What a fault does to it.</param>
/// <param name="MaxRestarts">Restarts allowed under the restart policy.</param>
/// <param name="Arguments">Its arguments.</param>
/// <param name="Line">The line it was declared on (for messages).</param>
/// <param name="IsBinary">True when <paramref name="Program"/> is an x86-64 executable (static ELF64 or flat binary) to load.</param>
public sealed record ProcessSpec(string Name, string Program, int Priority, FaultPolicy FaultPolicy, int MaxRestarts, IReadOnlyList<string> Arguments, int Line, bool IsBinary = false);

/// <summary>A parsed scenario: the kernel configuration and the processes to start, in order.</summary>
/// <param name="Name">The scenario's name.</param>
/// <param name="Source">The file it came from (or "builtin:NAME").</param>
/// <param name="Config">The kernel configuration.</param>
/// <param name="Processes">The processes, in spawn order.</param>
public sealed record Scenario(string Name, string Source, KernelConfig Config, IReadOnlyList<ProcessSpec> Processes)
{
    /// <summary>The <c>expect</c> lines, in file order: checked after the run (empty when the scenario states none).</summary>
    public IReadOnlyList<Expectation> Expectations { get; init; } = [];

    /// <summary>
    /// How the x86-64 binaries' CPUs run (the <c>cpu</c> directive): interpret or translate; null when the scenario
    /// names none (<see cref="X86.X86Program.DefaultCpuMode"/>).
    /// </summary>
    public X86.X86CpuMode? Cpu { get; init; }

    /// <summary>
    /// The <c>translate-threshold</c> directive: how many times a block of an x86-64 binary runs interpreted before it
    /// is compiled (<see cref="X86.X86Program.TranslationThreshold"/>); null when not given (the default).
    /// </summary>
    public int? TranslationThreshold { get; init; }
}
