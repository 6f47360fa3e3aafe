using System.Globalization;
using MicroKernel.Hardware;

namespace MicroKernel.Sim.Scenarios;

/// <summary>
/// Reads the words of an <c>expect</c> line: <c>process=NAME status=N</c>, <c>process=NAME prints="TEXT"</c>,
/// <c>process=NAME fault=REASON[|REASON...]</c> or <c>no-faults</c>. Every error names the file, line and field, like the rest of the scenario format.
/// </summary>
internal static class ExpectationParser
{
    private const string Forms = "process=NAME status=N, process=NAME prints=\"TEXT\", process=NAME fault=REASON or no-faults";
    private static readonly string[] Keys = ["process", "status", "prints", "fault"];

    /// <summary>Parses <paramref name="words"/> (the first is <c>expect</c>) written on <paramref name="line"/>.</summary>
    public static Expectation Parse(IReadOnlyList<string> words, string source, int line)
    {
        if (words.Count < 2) throw new ScenarioException(source, line, "expect", $"expected {Forms}");
        if (words[1] == "no-faults")
        {
            if (words.Count > 2) throw new ScenarioException(source, line, "no-faults", $"takes no fields, got '{words[2]}'");
            return new NoFaultsExpectation { Line = line };
        }
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string word in words.Skip(1))
        {
            int eq = word.IndexOf('=');
            if (eq <= 0) throw new ScenarioException(source, line, word, $"expected key=value ({Forms})");
            string key = word[..eq];
            if (!Keys.Contains(key)) throw new ScenarioException(source, line, key, $"unknown key (expected {string.Join(", ", Keys)}, or no-faults alone)");
            if (!values.TryAdd(key, word[(eq + 1)..])) throw new ScenarioException(source, line, key, "given twice");
        }
        if (!values.TryGetValue("process", out string? process) || process.Length == 0)
            throw new ScenarioException(source, line, "process", "missing (status=, prints= and fault= are about one process: process=NAME)");
        string[] given = Keys.Skip(1).Where(values.ContainsKey).ToArray();
        if (given.Length > 1) throw new ScenarioException(source, line, given[1], $"give one of status=, prints= or fault=, not {given[0]}= and {given[1]}= (write two expect lines)");
        bool hasStatus = values.TryGetValue("status", out string? status);
        bool hasPrints = values.TryGetValue("prints", out string? prints);
        if (values.TryGetValue("fault", out string? fault)) return new FaultExpectation(process, Reasons(fault, source, line)) { Line = line };
        if (hasStatus)
        {
            if (!long.TryParse(status, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n))
                throw new ScenarioException(source, line, "status", $"expected an integer exit status, got '{status}'");
            return new StatusExpectation(process, n) { Line = line };
        }
        if (hasPrints)
        {
            if (prints!.Length == 0) throw new ScenarioException(source, line, "prints", "expected a non-empty text (quote it: prints=\"some words\")");
            return new PrintsExpectation(process, prints) { Line = line };
        }
        throw new ScenarioException(source, line, "status", "missing: give status=N, prints=\"TEXT\" or fault=REASON");
    }

    // fault=NotPresent|NoRegion: fault reasons by name (as the account prints them), or "any".
    private static FaultReason[] Reasons(string text, string source, int line)
    {
        if (text == "any") return [];
        string[] names = text.Split('|');
        var reasons = new FaultReason[names.Length];
        for (int i = 0; i < names.Length; i++)
        {
            // Names only: Enum.TryParse would also take "3" or " notpresent".
            FaultReason? found = Enum.GetValues<FaultReason>().Select(r => (FaultReason?)r).FirstOrDefault(r => r.ToString() == names[i]);
            reasons[i] = found ?? throw new ScenarioException(source, line, "fault",
                $"expected a fault reason ({string.Join(", ", Enum.GetNames<FaultReason>())}), several joined by '|', or any; got '{names[i]}'");
        }
        return reasons;
    }

    /// <summary>Refuses an expectation about a process the scenario does not start (checked once every line is read).</summary>
    public static void CheckProcesses(IEnumerable<Expectation> expectations, IReadOnlyList<ProcessSpec> processes, string source)
    {
        foreach (Expectation e in expectations)
        {
            string? name = e.AboutProcess;
            if (name is not null && !processes.Any(p => p.Name == name))
                throw new ScenarioException(source, e.Line, "process",
                    $"no process named '{name}' in the scenario (known: {string.Join(", ", processes.Select(p => p.Name))})");
        }
    }
}
