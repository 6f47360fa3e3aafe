using System.Globalization;

namespace MicroKernel.Sim.Scenarios;

/// <summary>
/// One <c>expect</c> directive of a scenario (docs/scenario-format.md, docs/faults.md): a statement about how the run
/// ends, checked after it, so that a scenario is its own test. <c>mk run</c> exits 7 when one is not met.
/// </summary>
public abstract record Expectation
{
    /// <summary>The line it was written on (for the report and for messages).</summary>
    public required int Line { get; init; }

    /// <summary>The directive's canonical text after <c>expect</c>, e.g. <c>process=hello status=0</c>.</summary>
    public abstract string Text { get; }

    /// <inheritdoc />
    public sealed override string ToString() => "expect " + Text;
}

/// <summary><c>expect process=NAME status=N</c>: the process exited with status N.</summary>
/// <param name="Process">The scenario's process name.</param>
/// <param name="Status">The exit status it must end with (a fault kill is 128 + reason, a kill 137).</param>
public sealed record StatusExpectation(string Process, long Status) : Expectation
{
    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"process={Process} status={Status}");
}

/// <summary><c>expect process=NAME prints="TEXT"</c>: the process's console output contains TEXT.</summary>
/// <param name="Process">The scenario's process name.</param>
/// <param name="Needle">The text its console writes must contain (compared ordinally, across write boundaries).</param>
public sealed record PrintsExpectation(string Process, string Needle) : Expectation
{
    /// <inheritdoc />
    public override string Text => $"process={Process} prints=\"{Needle}\"";
}

/// <summary><c>expect no-faults</c>: no process recorded a fault during the run.</summary>
public sealed record NoFaultsExpectation : Expectation
{
    /// <inheritdoc />
    public override string Text => "no-faults";
}
