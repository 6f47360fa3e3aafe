using MicroKernel.Faults;
using MicroKernel.Syscalls;

namespace MicroKernel.Sim.Campaigns;

/// <summary>How one campaign run ended, judged by its oracle.</summary>
public enum VerdictKind
{
    /// <summary>Every check held: no panic, no deadlock, no tick limit, no host exception, every expectation met.</summary>
    Passed,
    /// <summary>Some check failed: see the signature.</summary>
    Failed,
    /// <summary>
    /// The scenario could not start: an injected frame refusal hit the spawn of one of its own processes (what
    /// <c>mk run</c> reports as exit 2, <c>cannot spawn</c>). Not a failure of the system under test.
    /// </summary>
    NotBooted,
}

/// <summary>What one run of a campaign showed.</summary>
/// <param name="Index">The run's number in the campaign (0-based): results are ordered by it, whatever the jobs did.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Rules">The campaign's rules of this run (after the scenario's own), as given.</param>
/// <param name="Kind">Passed, failed or not booted.</param>
/// <param name="Signature">What failed and where (<see cref="FailureSignature"/>); null unless failed.</param>
/// <param name="ExpectationsMet">For each of the scenario's <c>expect</c> lines, in order: met in this run (all false when not booted).</param>
public sealed record RunVerdict(long Index, ulong Seed, IReadOnlyList<FaultRule> Rules, VerdictKind Kind, string? Signature, IReadOnlyList<bool> ExpectationsMet)
{
    /// <summary>The injections the campaign's rules made, as fixed rules (null when one could not be translated).</summary>
    public IReadOnlyList<FaultRule>? Injected { get; init; } = [];

    /// <summary>Syscalls entered in the run, by syscall (the baseline of <c>--systematic</c>).</summary>
    public IReadOnlyList<(SyscallInfo Syscall, long Calls)> SyscallCounts { get; init; } = [];

    /// <summary>Frame allocation requests made while booting (spawning the scenario's processes), when counted.</summary>
    public long BootFrameRequests { get; init; }

    /// <summary>Frame allocation requests of the whole run, boot included, when counted.</summary>
    public long FrameRequests { get; init; }
}
