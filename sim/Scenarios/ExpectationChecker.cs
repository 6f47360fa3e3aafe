using System.Text;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Scenarios;

/// <summary>What checking one expectation found.</summary>
/// <param name="Expectation">The expectation.</param>
/// <param name="Met">True when the run showed what it states.</param>
/// <param name="Seen">What the run showed, in a few words (the exit status, the console line, the faults).</param>
public sealed record ExpectationResult(Expectation Expectation, bool Met, string Seen);

/// <summary>
/// Checks a scenario's <c>expect</c> lines after its run. Attached as a sink before the run, it keeps each process's
/// console output (the Console events carry the pid of the process that wrote, also inside an RPC method), so
/// <c>prints=</c> is about that process's console only.
/// </summary>
public sealed class ExpectationChecker : IEventSink
{
    private readonly Dictionary<int, StringBuilder> _console = [];

    /// <inheritdoc />
    public void Emit(in KernelEvent e)
    {
        if (e.Kind != EventKind.Console || e.Text is null) return;
        if (!_console.TryGetValue(e.Pid, out StringBuilder? text)) _console[e.Pid] = text = new StringBuilder();
        text.Append(e.Text);
    }

    /// <summary>Everything process <paramref name="pid"/> wrote to the console during the run.</summary>
    public string ConsoleOf(int pid) => _console.TryGetValue(pid, out StringBuilder? text) ? text.ToString() : "";

    /// <summary>Checks each of <paramref name="expectations"/> against the ended run, in order.</summary>
    public IReadOnlyList<ExpectationResult> Check(IReadOnlyList<Expectation> expectations, RunResult result) =>
        expectations.Select(e => e.Check(result, this)).ToList();
}
