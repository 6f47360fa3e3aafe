using MicroKernel.Faults;

namespace MicroKernel.Sim.Campaigns;

/// <summary>One run a campaign plans: its number (the order of results), its seed and the rules it adds.</summary>
/// <param name="Index">Its number in the campaign, from 0.</param>
/// <param name="Seed">Its seed.</param>
/// <param name="Rules">The campaign's rules for it (after the scenario's own).</param>
public sealed record RunRequest(long Index, ulong Seed, IReadOnlyList<FaultRule> Rules);
