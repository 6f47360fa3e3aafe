namespace MicroKernel.Faults;

/// <summary>
/// The faults a run injects (docs/faults.md): an ordered list of <see cref="FaultRule"/>s. Part of what fixes a run:
/// the same scenario, seed and plan give the same run, injections included. <see cref="None"/> injects nothing and
/// costs next to nothing.
/// </summary>
public sealed class FaultPlan
{
    /// <summary>A plan with no rules.</summary>
    public static FaultPlan None { get; } = new([]);

    /// <summary>Makes a plan of <paramref name="rules"/>, in order.</summary>
    public FaultPlan(IEnumerable<FaultRule> rules) => Rules = rules.ToArray();

    /// <summary>The rules, in the order given.</summary>
    public IReadOnlyList<FaultRule> Rules { get; }

    /// <summary>True when the plan has no rules.</summary>
    public bool IsEmpty => Rules.Count == 0;

    /// <summary>Reads a plan from its rules' texts, in order; the first malformed one is refused (<see cref="FaultRuleException"/>).</summary>
    public static FaultPlan Parse(IEnumerable<string> rules) => new(rules.Select(FaultRuleParser.Parse));

    /// <inheritdoc />
    public override string ToString() => string.Join("; ", Rules.Select(r => r.Text));
}
