using System.Globalization;
using System.Text;
using MicroKernel.Processes;
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
        expectations.Select(e => e switch
        {
            StatusExpectation s => Status(s, result),
            PrintsExpectation p => Prints(p, result),
            NoFaultsExpectation n => NoFaults(n, result),
            _ => throw new InvalidOperationException($"unknown expectation {e}"),
        }).ToList();

    private static ExpectationResult Status(StatusExpectation s, RunResult result)
    {
        if (Find(result, s.Process) is not { } p) return new(s, false, "the process never ran");
        string seen = p.State == ProcessState.Exited
            ? string.Create(CultureInfo.InvariantCulture, $"exited with status {p.ExitStatus}")
            : string.Create(CultureInfo.InvariantCulture, $"had not exited ({p.State}, status {p.ExitStatus})");
        if (p.Faults.Count > 0) seen += $" after {Faults(p)}";
        return new(s, p.State == ProcessState.Exited && p.ExitStatus == s.Status, seen);
    }

    private ExpectationResult Prints(PrintsExpectation e, RunResult result)
    {
        if (Find(result, e.Process) is not { } p) return new(e, false, "the process never ran");
        string console = ConsoleOf(p.Pid);
        string[] lines = console.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        if (console.Contains(e.Needle, StringComparison.Ordinal))
        {
            string line = lines.FirstOrDefault(l => l.Contains(e.Needle, StringComparison.Ordinal)) ?? e.Needle;
            return new(e, true, $"printed \"{line}\"");
        }
        return new(e, false, lines.Length == 0 ? "it printed nothing"
            : string.Create(CultureInfo.InvariantCulture, $"not in its {lines.Length} console lines; the last was \"{lines[^1]}\""));
    }

    private static ExpectationResult NoFaults(NoFaultsExpectation e, RunResult result)
    {
        List<Process> faulted = result.Processes.Where(p => p.Faults.Count > 0).ToList();
        return faulted.Count == 0 ? new(e, true, "no process faulted")
            : new(e, false, string.Join("; ", faulted.Select(p => $"pid {p.Pid.ToString(CultureInfo.InvariantCulture)} ({p.Name}) {Faults(p)}")));
    }

    // The scenario's processes are spawned first, in file order, and their names are unique there.
    private static Process? Find(RunResult result, string name) => result.Processes.FirstOrDefault(p => p.Name == name);

    private static string Faults(Process p) => (p.Faults.Count == 1 ? "a fault: " : $"{p.Faults.Count.ToString(CultureInfo.InvariantCulture)} faults: ")
        + string.Join(", ", p.Faults.Select(f => string.Create(CultureInfo.InvariantCulture, $"{f.Reason} at 0x{f.Address:x} (tick {f.Tick})")));
}
