using MicroKernel.Faults;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// How a campaign chooses each seed's runs: one run per seed with the campaign's rules (plain), one with a
/// <c>random p=P</c> rule added (<c>--random</c>), or fail-nth over the whole run (<c>--systematic</c>).
/// </summary>
/// <param name="Random">The <c>random</c> rule added to every run, or null.</param>
/// <param name="Systematic">True for <c>--systematic</c>.</param>
public sealed record CampaignMode(RandomFaultRule? Random, bool Systematic)
{
    /// <summary>One run per seed, with the campaign's rules only.</summary>
    public static CampaignMode Plain { get; } = new(null, false);

    /// <summary>The mode in words, as the summary prints it.</summary>
    public override string ToString() => Systematic ? "systematic" : Random is { } r ? r.Text : "plain";
}
