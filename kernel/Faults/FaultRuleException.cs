namespace MicroKernel.Faults;

/// <summary>
/// A fault rule that cannot be read (docs/faults.md): unknown kind or key, a missing or repeated key, a bad number, an
/// error the syscall is never documented to return... Carries the rule's text, the field at fault and what was
/// expected there, so that a scenario or the CLI can say exactly what to fix.
/// </summary>
public sealed class FaultRuleException : Exception
{
    /// <summary>Creates the refusal of <paramref name="ruleText"/> at <paramref name="field"/>.</summary>
    /// <param name="ruleText">The rule as written.</param>
    /// <param name="field">The kind or key at fault ("kind", "nth", "error"...).</param>
    /// <param name="expected">What the field must hold, and what it held.</param>
    public FaultRuleException(string ruleText, string field, string expected)
        : base($"fault rule '{ruleText}': field '{field}': expected {expected}")
    {
        RuleText = ruleText;
        Field = field;
        Expected = expected;
    }

    /// <summary>The rule as written.</summary>
    public string RuleText { get; }

    /// <summary>The kind or key at fault.</summary>
    public string Field { get; }

    /// <summary>What was expected (and what was found).</summary>
    public string Expected { get; }
}
