using System.Text;
using MicroKernel.Memory;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// <c>exec --trace</c> as a scenario: a trace replays from the scenario text in its header, so an exec is written as
/// the one-process scenario it is (its machine settings and a <c>binary=</c> line with the program's full path).
/// </summary>
internal static class ExecScenario
{
    /// <summary>Where the scenario came from, as the trace header's <c>scenario.source</c> shows it.</summary>
    public static string Source(string path) => "exec:" + Path.GetFullPath(path);

    /// <summary>
    /// The scenario text for <c>exec PATH ARGS</c> with <paramref name="config"/>, or null (and
    /// <paramref name="problem"/>) when the scenario format cannot say it: a name or argument with white space or a
    /// double quote, or a setting out of the scenario's ranges. <paramref name="cpu"/> and <paramref name="threshold"/>
    /// (exec's <c>--cpu</c> and <c>--translate-threshold</c>) become the <c>cpu</c> and <c>translate-threshold</c>
    /// directives when given.
    /// </summary>
    public static string? Text(string path, IReadOnlyList<string> args, KernelConfig config, out string problem, X86.X86CpuMode? cpu = null, int? threshold = null)
    {
        string full = Path.GetFullPath(path), name = Path.GetFileName(full);
        problem = "";
        if (!IsWord(name) || name.Contains('=')) problem = $"the program's file name '{name}' cannot name a scenario process";
        else if (full.Contains('"')) problem = $"the path '{full}' holds a double quote";
        else if (args.FirstOrDefault(a => !IsWord(a)) is { } bad) problem = $"the argument '{bad}' is empty or holds white space or a double quote";
        else if (config.InstructionsPerTick > 1_000_000) problem = "--instructions-per-tick above 1000000";
        else if (config.MaxTicks > int.MaxValue) problem = $"--max-ticks above {int.MaxValue}";
        if (problem.Length > 0) return null;
        string protection = config.Protection switch
        {
            ProtectionModel.ArmV7Mpu => "armv7m",
            ProtectionModel.ArmV8Mpu => "armv8m",
            _ => "paging",
        };
        var text = new StringBuilder();
        text.Append("# mk exec: one x86-64 program as the only process\n");
        text.Append(CultureInfo.InvariantCulture, $"name {name}\n");
        text.Append(CultureInfo.InvariantCulture, $"memory {config.Frames}\n");
        text.Append(CultureInfo.InvariantCulture, $"protection {protection}\n");
        text.Append(CultureInfo.InvariantCulture, $"instructions-per-tick {config.InstructionsPerTick}\n");
        text.Append(CultureInfo.InvariantCulture, $"max-ticks {config.MaxTicks}\n");
        if (cpu is { } mode) text.Append(mode == X86.X86CpuMode.Translate ? "cpu translate\n" : "cpu interpret\n");
        if (threshold is { } n) text.Append(CultureInfo.InvariantCulture, $"translate-threshold {n}\n");
        text.Append(CultureInfo.InvariantCulture, $"process {name} binary=\"{full}\"");
        if (args.Count > 0) text.Append(" args=\"").Append(string.Join(' ', args)).Append('"');
        return text.Append('\n').ToString();
    }

    // One scenario word: not empty, no white space, no quote.
    private static bool IsWord(string s) => s.Length > 0 && !s.Any(c => char.IsWhiteSpace(c) || c == '"' || c == '#');
}
