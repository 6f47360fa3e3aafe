using System.Globalization;
using System.Reflection;
using System.Text.Json;
using MicroKernel.Faults;
using MicroKernel.Memory;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// What makes a trace self-sufficient: the scenario's text (not a path), every option of the recorded command,
/// the effective kernel configuration, the event-format version and the build that recorded it. Stored as JSON
/// (docs/trace-format.md) so that it stays readable and can grow fields without a format change.
/// </summary>
internal sealed record TraceHeader
{
    /// <summary>The binary format version (<see cref="TraceFormat.Version"/> when written by this build).</summary>
    public int FormatVersion { get; init; } = TraceFormat.Version;

    /// <summary>The recording build's informational version ("0.1.0+commit"): never a date.</summary>
    public string Build { get; init; } = BuildVersion;

    /// <summary>The scenario's name.</summary>
    public required string ScenarioName { get; init; }

    /// <summary>Where the scenario came from ("builtin:demo" or a path): informative only.</summary>
    public required string ScenarioSource { get; init; }

    /// <summary>The scenario's full text: replay parses this, not the file.</summary>
    public required string ScenarioText { get; init; }

    /// <summary>The options of the recorded command, by name (null values = not given).</summary>
    public required IReadOnlyDictionary<string, string?> Options { get; init; }

    /// <summary>The effective kernel configuration (scenario plus overrides), property name -> invariant text.</summary>
    public required IReadOnlyDictionary<string, string> Config { get; init; }

    /// <summary>
    /// The SHA-256 (lowercase hex) of each x86-64 binary the run loaded, by path as the scenario resolved it: replay
    /// refuses to start when a file no longer has its digest (<see cref="BinaryDigests"/>). Empty when the scenario
    /// loads no binary, and in traces recorded before the field existed.
    /// </summary>
    public IReadOnlyDictionary<string, string> Binaries { get; init; } = new SortedDictionary<string, string>(StringComparer.Ordinal);

    /// <summary>
    /// The run's fault plan, one rule text each, in order: the scenario's <c>fault</c> lines, then each <c>--fault</c>.
    /// Replay applies these (not the scenario's lines alone), so a trace of <c>run --fault</c> replays its injections.
    /// Empty when the run injected nothing, and in traces recorded before the field existed.
    /// </summary>
    public IReadOnlyList<string> Faults { get; init; } = [];

    /// <summary>Read bytes above this bound (per syscall) are stored as a digest only.</summary>
    public int MaxStoredReadBytes { get; init; } = TraceFormat.DefaultMaxStoredReadBytes;

    /// <summary>Syscall number -> name of the recording kernel (for tools that read traces without a kernel).</summary>
    public required IReadOnlyDictionary<long, string> Syscalls { get; init; }

    /// <summary>This build's informational version.</summary>
    public static string BuildVersion { get; } =
        typeof(TraceHeader).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";

    /// <summary>The seed override option's name.</summary>
    public const string SeedOption = "seed";

    /// <summary>The scheduler override option's name.</summary>
    public const string SchedulerOption = "scheduler";

    /// <summary>The protection override option's name.</summary>
    public const string ProtectionOption = "protection";

    /// <summary>The invariant check level option's name (run and exec <c>--check</c>).</summary>
    public const string CheckOption = "check";

    /// <summary>The CPU option's name (run <c>--cpu</c>: how the scenario's x86-64 binaries ran).</summary>
    public const string CpuOption = "cpu";

    /// <summary>The translation threshold option's name (run <c>--translate-threshold</c>).</summary>
    public const string TranslateThresholdOption = "translate-threshold";

    /// <summary>A CPU mode as the <c>--cpu</c> option and the <c>cpu</c> directive spell it.</summary>
    public static string CpuName(X86.X86CpuMode mode) => mode == X86.X86CpuMode.Translate ? "translate" : "interpret";

    /// <summary>A header for a run of <paramref name="config"/> on a kernel with <paramref name="syscalls"/>.</summary>
    public static TraceHeader For(string name, string source, string text, KernelConfig config, SyscallTable syscalls,
        IReadOnlyDictionary<string, string?> options) => new()
        {
            ScenarioName = name,
            ScenarioSource = source,
            ScenarioText = text,
            Options = options,
            Config = ConfigValues(config),
            Faults = config.Faults.Rules.Select(r => r.Text).ToArray(),
            Syscalls = syscalls.All.ToDictionary(s => s.Number, s => s.Name),
        };

    /// <summary>Every public property of a kernel configuration as invariant text, by name (sorted).</summary>
    public static SortedDictionary<string, string> ConfigValues(KernelConfig config)
    {
        var values = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (PropertyInfo p in typeof(KernelConfig).GetProperties(BindingFlags.Public | BindingFlags.Instance))
            if (p.GetIndexParameters().Length == 0)
                values[p.Name] = Convert.ToString(p.GetValue(config), CultureInfo.InvariantCulture) ?? "";
        return values;
    }

    /// <summary>
    /// The overrides of the recorded command, applied to a freshly parsed scenario configuration; its fault plan becomes
    /// the recorded one (a <see cref="FaultRuleException"/> when a rule no longer reads).
    /// </summary>
    public KernelConfig ApplyOverrides(KernelConfig parsed)
    {
        KernelConfig c = parsed with { Faults = Faults.Count == 0 ? FaultPlan.None : FaultPlan.Parse(Faults) };
        if (Options.GetValueOrDefault(SeedOption) is { } seed) c = c with { Seed = ulong.Parse(seed, CultureInfo.InvariantCulture) };
        if (Options.GetValueOrDefault(SchedulerOption) is { } policy) c = c with { Policy = Enum.Parse<PolicyKind>(policy) };
        if (Options.GetValueOrDefault(ProtectionOption) is { } protection) c = c with { Protection = Enum.Parse<ProtectionModel>(protection) };
        if (Options.GetValueOrDefault(CheckOption) is { } check) c = c with { Check = Enum.Parse<Invariants.CheckLevel>(check, ignoreCase: true) };
        return c;
    }

    /// <summary>The header as UTF-8 JSON (indented: <c>trace show --header</c> prints it as is).</summary>
    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("format", "mktrace");
            w.WriteNumber("formatVersion", FormatVersion);
            w.WriteString("build", Build);
            w.WriteStartObject("scenario");
            w.WriteString("name", ScenarioName);
            w.WriteString("source", ScenarioSource);
            w.WriteString("text", ScenarioText);
            w.WriteEndObject();
            w.WriteStartObject("options");
            foreach ((string k, string? v) in Options.OrderBy(o => o.Key, StringComparer.Ordinal))
                if (v is null) w.WriteNull(k); else w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartObject("config");
            foreach ((string k, string v) in Config.OrderBy(o => o.Key, StringComparer.Ordinal)) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartObject("binaries");
            foreach ((string path, string sha256) in Binaries.OrderBy(b => b.Key, StringComparer.Ordinal)) w.WriteString(path, sha256);
            w.WriteEndObject();
            w.WriteStartArray("faults");
            foreach (string rule in Faults) w.WriteStringValue(rule);
            w.WriteEndArray();
            w.WriteNumber("maxStoredReadBytes", MaxStoredReadBytes);
            w.WriteStartObject("syscalls");
            foreach ((long n, string name) in Syscalls.OrderBy(s => s.Key)) w.WriteString(n.ToString(CultureInfo.InvariantCulture), name);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return buffer.ToArray();
    }

    /// <summary>Parses the JSON header; <paramref name="file"/> and <paramref name="offset"/> locate errors.</summary>
    public static TraceHeader FromJson(ReadOnlySpan<byte> json, string file, long offset)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            using JsonDocument doc = JsonDocument.ParseValue(ref reader);
            JsonElement root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object || Str(root, "format") != "mktrace") throw Bad("the header is not an mktrace header");
            int version = root.GetProperty("formatVersion").GetInt32();
            JsonElement scenario = Obj(root, "scenario");
            var options = new Dictionary<string, string?>(StringComparer.Ordinal);
            foreach (JsonProperty p in Obj(root, "options").EnumerateObject())
                options[p.Name] = p.Value.ValueKind == JsonValueKind.Null ? null : p.Value.GetString();
            var config = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty p in Obj(root, "config").EnumerateObject()) config[p.Name] = p.Value.GetString() ?? "";
            var binaries = new SortedDictionary<string, string>(StringComparer.Ordinal);
            if (root.TryGetProperty("binaries", out _)) // absent in traces recorded before digests were
                foreach (JsonProperty p in Obj(root, "binaries").EnumerateObject()) binaries[p.Name] = p.Value.GetString() ?? "";
            var faults = new List<string>();
            if (root.TryGetProperty("faults", out JsonElement rules)) // absent in traces recorded before fault plans were
                foreach (JsonElement rule in rules.EnumerateArray()) faults.Add(rule.GetString() ?? throw Bad("a fault rule is null"));
            var syscalls = new Dictionary<long, string>();
            foreach (JsonProperty p in Obj(root, "syscalls").EnumerateObject())
                syscalls[long.Parse(p.Name, CultureInfo.InvariantCulture)] = p.Value.GetString() ?? "";
            var header = new TraceHeader
            {
                FormatVersion = version,
                Build = Str(root, "build"),
                ScenarioName = Str(scenario, "name"),
                ScenarioSource = Str(scenario, "source"),
                ScenarioText = Str(scenario, "text"),
                Options = options,
                Config = config,
                Binaries = binaries,
                Faults = faults,
                MaxStoredReadBytes = root.GetProperty("maxStoredReadBytes").GetInt32(),
                Syscalls = syscalls,
            };
            header.ApplyOverrides(new KernelConfig()); // the options must make sense now, not at replay time
            return header;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException or FormatException or OverflowException or ArgumentException or FaultRuleException)
        {
            long at = e is JsonException j && j.BytePositionInLine is { } pos && j.LineNumber == 0 ? offset + pos : offset;
            throw new TraceFormatException(file, at, $"bad JSON header: {e.Message}");
        }

        InvalidOperationException Bad(string message) => new(message);
    }

    private static string Str(JsonElement e, string name) => e.GetProperty(name).GetString() ?? throw new InvalidOperationException($"'{name}' is null");

    private static JsonElement Obj(JsonElement e, string name)
    {
        JsonElement v = e.GetProperty(name);
        return v.ValueKind == JsonValueKind.Object ? v : throw new InvalidOperationException($"'{name}' is not an object");
    }
}
