using CsCheck;

namespace MicroKernel.Tests.Portals;

/// <summary>
/// One random run of <see cref="PortalPropertyTests"/>: nodes 1..N linked in a star around node 1 (the broker) plus
/// random extra links; a pair opened at <see cref="Home"/>, whose end E0 stays there while E1 walks the chain
/// (each holder puts <see cref="Bursts"/>[i] parcels, reads what arrived, and sends E1 on); E0 puts
/// <see cref="E0Parcels"/> meanwhile. Optionally one node dies (<see cref="Victim"/>) at its <see cref="DiesWhen"/>.
/// </summary>
internal sealed record PortalPlan(int Nodes, IReadOnlyList<(int, int)> Links, int Home, IReadOnlyList<int> Chain,
    IReadOnlyList<int> Bursts, int E0Parcels, int Victim, PortalPlan.Death DiesWhen)
{
    /// <summary>E0 closes as soon as it has put its parcels (it reads nothing and answers no ping).</summary>
    public bool E0ClosesEarly { get; init; }

    /// <summary>
    /// CsCheck's generator of plans and kernel seeds (<see cref="Build"/>): 3-6 nodes, chains of up to 6 transfers
    /// that may pass a node again, bursts both ways, E0 closing early, and one node dying at a random moment.
    /// Every part shrinks toward a short plan with nobody dying.
    /// </summary>
    public static readonly Gen<(PortalPlan Plan, ulong Seed)> Random =
        Gen.Select(
            Gen.Select(Gen.Int[3, 6], Gen.Bool.Array[10], Gen.Int[0, 5], Gen.Int[0, 15].Array[1, 6]),
            Gen.Select(Gen.Int[0, 3].Array[7], Gen.Int[0, 12], Gen.Int[0, 5], Gen.Int[0, 4], Gen.Int[0, 3]),
            Gen.ULong[1, 1_000_000],
            (a, b, seed) => (Build(a.Item1, a.Item2, a.Item3, a.Item4, b.Item1, b.Item2, b.Item3, b.Item4, b.Item5), seed));

    /// <summary>
    /// A plan from CsCheck's choices: the star around node 1 plus the extra links <paramref name="extra"/> picks (one
    /// bit per pair of other nodes), E1's home, one choice per transfer (an index into the holder's neighbours other
    /// than the home; a node may hold E1 again), bursts, E0's parcels, a death (1-3: early, holding, after forwarding;
    /// anything else: none) with its victim, and whether E0 closes early (<paramref name="close"/> = 3).
    /// </summary>
    public static PortalPlan Build(int nodes, bool[] extra, int home, int[] steps, int[] bursts, int e0, int death, int victim, int close)
    {
        var links = new List<(int, int)>();
        for (int i = 2; i <= nodes; i++) links.Add((1, i));
        int bit = 0;
        for (int i = 2; i <= nodes; i++)
            for (int j = i + 1; j <= nodes; j++)
                if (extra[bit++ % extra.Length]) links.Add((i, j));
        home = 1 + (home % nodes);
        var chain = new List<int> { home };
        foreach (int step in steps)
        {
            int at = chain[^1];
            int[] next = [.. links.Where(l => l.Item1 == at || l.Item2 == at).Select(l => l.Item1 == at ? l.Item2 : l.Item1).Where(v => v != home).Order()];
            if (next.Length == 0) break;
            chain.Add(next[step % next.Length]);
        }
        Death when = death is >= 1 and <= 3 ? (Death)death : Death.None;
        int[] candidates = [.. Enumerable.Range(1, nodes).Where(v => v != home)];
        int dead = when == Death.None ? 0 : candidates[victim % candidates.Length];
        if (when == Death.Holding && !chain.Skip(1).Contains(dead)) when = Death.Early;
        if (when == Death.AfterForwarding && !chain.Skip(1).SkipLast(1).Contains(dead)) when = Death.Early;
        return new PortalPlan(nodes, links, home, chain, [.. chain.Select((_, i) => bursts[i % bursts.Length])], e0, dead, when) { E0ClosesEarly = close == 3 };
    }

    /// <summary>
    /// Most transfers of E1 in a chain of the seeded series (<see cref="From"/>, kept as it was so that its plans,
    /// regression tests among them, stay the same); <see cref="Random"/> draws longer chains.
    /// </summary>
    public const int MaxTransfers = 2;

    /// <summary>Random node deaths in the seeded series: off (<see cref="Random"/> draws them).</summary>
    public const bool WithDeaths = false;

    /// <summary>When the victim dies.</summary>
    public enum Death
    {
        /// <summary>Nobody dies.</summary>
        None,
        /// <summary>Right after connecting (before any step of its own).</summary>
        Early,
        /// <summary>Holding E1, instead of sending it on.</summary>
        Holding,
        /// <summary>Just after sending E1 on (a proxy of the route may be its).</summary>
        AfterForwarding,
    }

    /// <summary>Derives a plan from a seed.</summary>
    public static PortalPlan From(int nodes, ulong seed)
    {
        var r = new TestRandom(seed);
        var links = new List<(int, int)>();
        for (int i = 2; i <= nodes; i++) links.Add((1, i));
        for (int i = 2; i <= nodes; i++)
            for (int j = i + 1; j <= nodes; j++)
                if (r.Next(3) == 0) links.Add((i, j));
        int home = r.Next(1, nodes + 1);
        var chain = new List<int> { home };
        int length = r.Next(1, MaxTransfers + 1);
        for (int step = 0; step < length; step++)
        {
            int at = chain[^1];
            int[] next = [.. links.Where(l => l.Item1 == at || l.Item2 == at).Select(l => l.Item1 == at ? l.Item2 : l.Item1).Where(v => v != home && !chain.Contains(v))];
            if (next.Length == 0) break;
            chain.Add(next[r.Next(next.Length)]);
        }
        var bursts = chain.Select(_ => r.Next(0, 4)).ToList();
        Death when = WithDeaths && r.Next(3) == 0 ? (Death)r.Next(1, 4) : Death.None;
        int[] candidates = [.. Enumerable.Range(1, nodes).Where(v => v != home)];
        int victim = when == Death.None ? 0 : candidates[r.Next(candidates.Length)];
        // Holding: at a chain position past the home; after forwarding: at a position that sends E1 on.
        if (when == Death.Holding && !chain.Skip(1).Contains(victim)) when = Death.Early;
        if (when == Death.AfterForwarding && !chain.Skip(1).SkipLast(1).Contains(victim)) when = Death.Early;
        return new PortalPlan(nodes, links, home, chain, bursts, r.Next(0, 13), victim, when);
    }

    /// <summary>The nodes <paramref name="pid"/> is linked with, in increasing pid order.</summary>
    public IEnumerable<int> PeersOf(int pid) =>
        Links.Where(l => l.Item1 == pid || l.Item2 == pid).Select(l => l.Item1 == pid ? l.Item2 : l.Item1).Order();

    /// <inheritdoc />
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Nodes} nodes, links {string.Join(" ", Links.Select(l => $"{l.Item1}-{l.Item2}"))}, home {Home}, chain {string.Join(">", Chain)}, bursts {string.Join(",", Bursts)}, E0 puts {E0Parcels}, death {DiesWhen} of {Victim}{(E0ClosesEarly ? ", E0 closes early" : "")}");
}
