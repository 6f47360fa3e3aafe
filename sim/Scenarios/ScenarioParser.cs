using System.Globalization;
using System.Text;
using MicroKernel.Faults;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;

namespace MicroKernel.Sim.Scenarios;

/// <summary>
/// Reads the scenario format (docs/scenario-format.md): one directive per line, <c>#</c> starts a comment,
/// <c>process NAME key=value...</c> lines list the processes, <c>fault RULE</c> lines the faults the run injects,
/// <c>expect ...</c> lines what the run must show. Every error names the file, line and field.
/// </summary>
public static class ScenarioParser
{
    private static readonly string[] ProcessKeys = ["program", "binary", "priority", "fault", "restarts", "args"];

    /// <summary>Parses <paramref name="text"/>; <paramref name="source"/> names it in error messages.</summary>
    /// <param name="text">The scenario text.</param>
    /// <param name="source">The file name for messages.</param>
    /// <param name="knownPrograms">Program names a process line may use.</param>
    public static Scenario Parse(string text, string source, IReadOnlyCollection<string> knownPrograms)
    {
        var config = new KernelConfig();
        string name = Path.GetFileNameWithoutExtension(source);
        var processes = new List<ProcessSpec>();
        var faults = new List<(FaultRule Rule, int Line)>();
        var expectations = new List<Expectation>();
        X86.X86CpuMode? cpu = null;
        int? threshold = null;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        string[] lines = text.Split('\n');
        for (int i = 0; i < lines.Length; i++)
        {
            int lineNo = i + 1;
            List<string> words = Tokenize(StripComment(lines[i]), source, lineNo);
            if (words.Count == 0) continue;
            string directive = words[0];
            if (directive is not ("process" or "fault" or "expect") && !seen.Add(directive))
                throw new ScenarioException(source, lineNo, directive, "given twice");
            string Value()
            {
                if (words.Count != 2) throw new ScenarioException(source, lineNo, directive, $"expected exactly one value, got {words.Count - 1}");
                return words[1];
            }
            switch (directive)
            {
                case "name": name = Value(); break;
                case "memory": config = config with { Frames = Int(Value(), 16, Hardware.PhysicalMemory.MaxFrames, source, lineNo, directive) }; break;
                case "protection": config = config with { Protection = Protection(Value(), source, lineNo) }; break;
                case "mpu-regions":
                    int regions = Int(Value(), 8, 16, source, lineNo, directive);
                    if (regions is not (8 or 16)) throw new ScenarioException(source, lineNo, directive, $"must be 8 or 16, got {regions}");
                    config = config with { MpuRegions = regions };
                    break;
                case "scheduler": config = config with { Policy = Policy(Value(), source, lineNo) }; break;
                case "seed": config = config with { Seed = ULong(Value(), source, lineNo, directive) }; break;
                case "quantum": config = config with { Quantum = Int(Value(), 1, 1_000_000, source, lineNo, directive) }; break;
                case "accesses-per-tick": config = config with { AccessesPerTick = Int(Value(), 1, 1_000_000, source, lineNo, directive) }; break;
                case "instructions-per-tick": config = config with { InstructionsPerTick = Int(Value(), 1, 1_000_000, source, lineNo, directive) }; break;
                case "max-ticks": config = config with { MaxTicks = Int(Value(), 1, int.MaxValue, source, lineNo, directive) }; break;
                case "tlb-size":
                    int tlb = Int(Value(), 1, 4096, source, lineNo, directive);
                    if ((tlb & (tlb - 1)) != 0) throw new ScenarioException(source, lineNo, directive, $"must be a power of two, got {tlb}");
                    config = config with { TlbSize = tlb };
                    break;
                case "check": config = config with { Check = Check(Value(), source, lineNo) }; break;
                case "cpu": cpu = Cpu(Value(), source, lineNo); break;
                case "translate-threshold": threshold = Int(Value(), 0, 1_000_000_000, source, lineNo, directive); break;
                case "process": processes.Add(ParseProcess(words, source, lineNo, knownPrograms, processes)); break;
                case "fault": faults.Add((Fault(string.Join(' ', words.Skip(1)), source, lineNo), lineNo)); break;
                case "expect": expectations.Add(ExpectationParser.Parse(words, source, lineNo)); break;
                default:
                    throw new ScenarioException(source, lineNo, directive,
                        "unknown directive (expected name, memory, protection, mpu-regions, scheduler, seed, quantum, accesses-per-tick, instructions-per-tick, max-ticks, tlb-size, check, cpu, translate-threshold, process, fault or expect)");
            }
        }
        if (processes.Count == 0) throw new ScenarioException(source, lines.Length, "process", "the scenario starts no process");
        // A rule's pid must be one of the processes (given in spawn order from 1), wherever the process lines are.
        foreach ((FaultRule rule, int line) in faults) CheckPid(rule, processes.Count, source, line);
        if (faults.Count > 0) config = config with { Faults = new FaultPlan(faults.Select(f => f.Rule)) };
        ExpectationParser.CheckProcesses(expectations, processes, source);
        return new Scenario(name, source, config, processes) { Expectations = expectations, Cpu = cpu, TranslationThreshold = threshold };
    }

    private static ProcessSpec ParseProcess(List<string> words, string source, int line, IReadOnlyCollection<string> knownPrograms, List<ProcessSpec> earlier)
    {
        if (words.Count < 2 || words[1].Contains('=')) throw new ScenarioException(source, line, "process", "expected a process name after 'process'");
        string name = words[1];
        if (earlier.Any(p => p.Name == name)) throw new ScenarioException(source, line, "process", $"a process named '{name}' exists already");
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (string word in words.Skip(2))
        {
            int eq = word.IndexOf('=');
            if (eq <= 0) throw new ScenarioException(source, line, word, "expected key=value");
            string key = word[..eq];
            if (!ProcessKeys.Contains(key)) throw new ScenarioException(source, line, key, $"unknown key (expected {string.Join(", ", ProcessKeys)})");
            if (!values.TryAdd(key, word[(eq + 1)..])) throw new ScenarioException(source, line, key, "given twice");
        }
        bool isBinary = values.TryGetValue("binary", out string? binary);
        if (isBinary == values.ContainsKey("program"))
            throw new ScenarioException(source, line, "program", isBinary ? "give program= or binary=, not both" : "missing (every process names its program, or a binary=)");
        string program;
        if (isBinary)
        {
            // A path relative to the scenario file's folder (or to the current folder for built-in scenarios).
            string folder = source.StartsWith("builtin:", StringComparison.Ordinal) ? "" : Path.GetDirectoryName(source) ?? "";
            program = Path.Combine(folder, binary!);
            if (!File.Exists(program)) throw new ScenarioException(source, line, "binary", $"no such file '{program}'");
        }
        else if (Userland.Loader.AssemblyPrograms.Split(values["program"]) is { } fromAssembly)
        {
            // A program class of a student's assembly, FILE.dll:TYPE, the file relative to the scenario's folder.
            string folder = source.StartsWith("builtin:", StringComparison.Ordinal) ? "" : Path.GetDirectoryName(source) ?? "";
            string path = Path.Combine(folder, fromAssembly.Path);
            if (!File.Exists(path)) throw new ScenarioException(source, line, "program", $"no such assembly '{path}' (build the program's project first)");
            program = path + ":" + fromAssembly.Type;
        }
        else
        {
            program = values["program"];
            if (!knownPrograms.Contains(program))
                throw new ScenarioException(source, line, "program", $"unknown program '{program}' (known: {string.Join(", ", knownPrograms)})");
        }
        int priority = values.TryGetValue("priority", out string? pr) ? Int(pr, -1000, 1000, source, line, "priority") : 0;
        FaultPolicy fault = FaultPolicy.Kill;
        if (values.TryGetValue("fault", out string? f))
            fault = f switch
            {
                "kill" => FaultPolicy.Kill,
                "restart" => FaultPolicy.Restart,
                _ => throw new ScenarioException(source, line, "fault", $"expected kill or restart, got '{f}'"),
            };
        int restarts = values.TryGetValue("restarts", out string? rs) ? Int(rs, 0, 1000, source, line, "restarts") : 3;
        string[] args = values.TryGetValue("args", out string? a) ? a.Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return new ProcessSpec(name, program, priority, fault, restarts, args, line, isBinary);
    }

    /// <summary>
    /// Reads the rule of a <c>fault</c> line (or of a <c>--fault</c> option); a malformed one is a
    /// <see cref="ScenarioException"/> at <paramref name="source"/>:<paramref name="line"/> naming the rule's field.
    /// </summary>
    public static FaultRule Fault(string rule, string source, int line)
    {
        try
        {
            return FaultRule.Parse(rule);
        }
        catch (FaultRuleException e)
        {
            throw new ScenarioException(source, line, e.Field, $"in fault rule '{e.RuleText}': expected {e.Expected}");
        }
    }

    /// <summary>Refuses a rule whose <c>pid=</c> names none of the <paramref name="processCount"/> processes.</summary>
    public static void CheckPid(FaultRule rule, int processCount, string source, int line)
    {
        try
        {
            FaultRuleParser.CheckPid(rule, processCount);
        }
        catch (FaultRuleException e)
        {
            throw new ScenarioException(source, line, e.Field, $"in fault rule '{e.RuleText}': expected {e.Expected}");
        }
    }

    private static ProtectionModel Protection(string value, string source, int line) => value switch
    {
        "paging" => ProtectionModel.Paging,
        "armv7m" => ProtectionModel.ArmV7Mpu,
        "armv8m" => ProtectionModel.ArmV8Mpu,
        _ => throw new ScenarioException(source, line, "protection", $"expected paging, armv7m or armv8m, got '{value}'"),
    };

    private static PolicyKind Policy(string value, string source, int line) => value switch
    {
        "round-robin" => PolicyKind.RoundRobin,
        "priority" => PolicyKind.Priority,
        "random" => PolicyKind.Random,
        _ => throw new ScenarioException(source, line, "scheduler", $"expected round-robin, priority or random, got '{value}'"),
    };

    private static X86.X86CpuMode Cpu(string value, string source, int line) => value switch
    {
        "interpret" => X86.X86CpuMode.Interpret,
        "translate" => X86.X86CpuMode.Translate,
        _ => throw new ScenarioException(source, line, "cpu", $"expected interpret or translate, got '{value}'"),
    };

    private static Invariants.CheckLevel Check(string value, string source, int line) => value switch
    {
        "end" => Invariants.CheckLevel.End,
        "syscall" => Invariants.CheckLevel.Syscall,
        "tick" => Invariants.CheckLevel.Tick,
        _ => throw new ScenarioException(source, line, "check", $"expected end, syscall or tick, got '{value}'"),
    };

    private static int Int(string value, int min, int max, string source, int line, string field)
    {
        if (!int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out int n))
            throw new ScenarioException(source, line, field, $"expected an integer, got '{value}'");
        if (n < min || n > max) throw new ScenarioException(source, line, field, string.Create(CultureInfo.InvariantCulture, $"{n} is out of range [{min}, {max}]"));
        return n;
    }

    private static ulong ULong(string value, string source, int line, string field) =>
        ulong.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out ulong n) ? n
        : throw new ScenarioException(source, line, field, $"expected a non-negative integer, got '{value}'");

    private static string StripComment(string line)
    {
        bool quoted = false;
        for (int i = 0; i < line.Length; i++)
        {
            if (line[i] == '"') quoted = !quoted;
            else if (line[i] == '#' && !quoted) return line[..i];
        }
        return line;
    }

    // Splits on white space; double quotes group words (args="a b"), and are removed.
    private static List<string> Tokenize(string line, string source, int lineNo)
    {
        var words = new List<string>();
        var current = new StringBuilder();
        bool quoted = false, any = false;
        foreach (char c in line.TrimEnd('\r'))
        {
            if (c == '"') { quoted = !quoted; any = true; continue; }
            if (char.IsWhiteSpace(c) && !quoted)
            {
                if (any) words.Add(current.ToString());
                current.Clear();
                any = false;
                continue;
            }
            current.Append(c);
            any = true;
        }
        if (quoted) throw new ScenarioException(source, lineNo, words.Count > 0 ? words[0] : "line", "unterminated quote");
        if (any) words.Add(current.ToString());
        return words;
    }
}
