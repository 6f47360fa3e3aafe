using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Sim.Tracing;

/// <summary>Scenario text for a trace's header, and the scenario a trace's header describes.</summary>
internal static class TraceScenario
{
    /// <summary>The text of a built-in scenario or scenario file (what <see cref="ScenarioRunner.Load"/> parses).</summary>
    public static string Text(string nameOrPath) =>
        ScenarioRunner.BuiltInNames.Contains(nameOrPath) ? ScenarioRunner.BuiltInText(nameOrPath) : File.ReadAllText(nameOrPath);

    /// <summary>
    /// Parses the scenario text stored in the header, applies the recorded overrides, and checks that the result is
    /// the recorded configuration (a scenario format or default that changed since would otherwise replay silently
    /// on another machine), and that every x86-64 binary still has its recorded SHA-256. The run's fault plan is the one
    /// the header records (the scenario's <c>fault</c> lines and the recorded <c>--fault</c> options).
    /// </summary>
    public static Scenario FromHeader(TraceHeader header)
    {
        Scenario parsed = ScenarioParser.Parse(header.ScenarioText, $"{header.ScenarioSource} (as stored in the trace)", ScenarioRunner.Programs);
        Scenario s = parsed with { Source = header.ScenarioSource, Config = header.ApplyOverrides(parsed.Config) };
        // run --cpu and --translate-threshold: how the binaries ran (replay --cpu may still change it).
        if (header.Options.GetValueOrDefault(TraceHeader.CpuOption) is { } cpu)
            s = s with { Cpu = CpuOf(cpu, header.ScenarioSource) };
        if (header.Options.GetValueOrDefault(TraceHeader.TranslateThresholdOption) is { } threshold)
            s = s with { TranslationThreshold = ThresholdOf(threshold, header.ScenarioSource) };
        foreach (Faults.FaultRule rule in s.Config.Faults.Rules) ScenarioParser.CheckPid(rule, s.Processes.Count, header.ScenarioSource, 0);
        SortedDictionary<string, string> now = TraceHeader.ConfigValues(s.Config);
        foreach ((string name, string recorded) in header.Config)
            if (now.TryGetValue(name, out string? value) && value != recorded)
                throw new ScenarioException(header.ScenarioSource, 0, name,
                    $"the trace's scenario now gives {name} = {value}, but the recording ran with {recorded} (kernel defaults changed?)");
        BinaryDigests.Check(s, header.Binaries);
        return s;
    }

    private static X86.X86CpuMode CpuOf(string value, string source) =>
        value == TraceHeader.CpuName(X86.X86CpuMode.Translate) ? X86.X86CpuMode.Translate
        : value == TraceHeader.CpuName(X86.X86CpuMode.Interpret) ? X86.X86CpuMode.Interpret
        : throw new ScenarioException(source, 0, TraceHeader.CpuOption, $"the trace's option cpu is '{value}', expected interpret or translate");

    private static int ThresholdOf(string value, string source) =>
        int.TryParse(value, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) ? n
        : throw new ScenarioException(source, 0, TraceHeader.TranslateThresholdOption, $"the trace's option translate-threshold is '{value}', expected an integer 0 or more");
}
