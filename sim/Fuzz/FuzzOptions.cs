using MicroKernel.Memory;

namespace MicroKernel.Sim.Fuzz;

/// <summary>What one <c>mk fuzz</c> run does (docs/cli.md): with the same options, the same syscalls and the same table.</summary>
/// <param name="Syscalls">Stop once this many syscalls were issued, at the next syscall return.</param>
/// <param name="Seed">The seed every argument, interleaving and kernel of the run comes from.</param>
/// <param name="Processes">Fuzz processes per kernel.</param>
/// <param name="Protection">The protection model of every kernel.</param>
/// <param name="FromTrace">A trace whose syscalls are mutated too (null = fresh calls only).</param>
internal sealed record FuzzOptions(long Syscalls, ulong Seed, int Processes, ProtectionModel Protection, string? FromTrace = null)
{
    /// <summary>The command line that runs exactly this fuzz run again.</summary>
    public string CommandLine =>
        string.Create(CultureInfo.InvariantCulture, $"mk fuzz --seed {Seed} --processes {Processes} --protection {Protection} --syscalls {Syscalls}")
        + (FromTrace is null ? "" : $" --from-trace {FromTrace}");
}
