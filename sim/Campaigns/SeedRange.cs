namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// The seeds a campaign runs (<c>--seeds A..B</c>, both ends included, or <c>--seeds N</c>: seeds 1 to N). The seed is
/// the scheduler's and the random rules' seed: with it and the fault plan, a run is fixed.
/// </summary>
/// <param name="First">The first seed.</param>
/// <param name="Last">The last seed (at least <paramref name="First"/>).</param>
public sealed record SeedRange(ulong First, ulong Last)
{
    /// <summary>How many seeds.</summary>
    public ulong Count => Last - First + 1;

    /// <summary>The seeds, in order.</summary>
    public IEnumerable<ulong> All()
    {
        for (ulong s = First; ; s++)
        {
            yield return s;
            if (s == Last) yield break;
        }
    }

    /// <summary>The canonical text, <c>A..B</c>.</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{First}..{Last}");

    /// <summary>Reads <c>A..B</c> or <c>N</c>; null and a message in <paramref name="problem"/> when it is neither.</summary>
    public static SeedRange? Parse(string text, out string problem)
    {
        problem = "";
        int dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots < 0)
        {
            if (ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) && n >= 1) return new SeedRange(1, n);
            problem = $"--seeds: expected A..B (a range of seeds) or N (seeds 1..N, N >= 1), got '{text}'";
            return null;
        }
        if (ulong.TryParse(text[..dots], NumberStyles.None, CultureInfo.InvariantCulture, out ulong a)
            && ulong.TryParse(text[(dots + 2)..], NumberStyles.None, CultureInfo.InvariantCulture, out ulong b) && a <= b)
            return new SeedRange(a, b);
        problem = $"--seeds: expected A..B with A <= B (unsigned integers), got '{text}'";
        return null;
    }
}
