using MicroKernel.Invariants;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// What every run of a campaign shares: the scenario (as named on the command line, and loaded), the invariant check
/// level, and the campaign's extra rules (<c>--rules FILE</c>) applied to every run after the scenario's own.
/// </summary>
/// <param name="Source">The scenario as the user named it (a built-in name or a path): what a reproducer names.</param>
/// <param name="Scenario">The loaded scenario.</param>
/// <param name="Check">When the invariant catalogue runs (<c>--check</c>, default <c>syscall</c> in a campaign).</param>
public sealed record CampaignTarget(string Source, Scenario Scenario, CheckLevel Check)
{
    /// <summary>The rules of <c>--rules FILE</c>, applied to every run (before a mode's own rule).</summary>
    public IReadOnlyList<Faults.FaultRule> ExtraRules { get; init; } = [];
}
