using System.Text;
using System.Text.Json;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// A shard's summary as JSON Lines (<c>--json FILE</c>; docs/campaigns.md): a <c>campaign</c> line (what ran, which
/// shard, the counts), one <c>expectation</c> line per <c>expect</c> line, one <c>failure</c> line per distinct
/// failure (with its reproducer). <c>mk campaign merge</c> reads such files back and merges them.
/// </summary>
public static class CampaignJson
{
    /// <summary>The summary as JSON Lines, one object a line, in a fixed key order.</summary>
    public static string Write(CampaignSummary s)
    {
        var text = new StringBuilder();
        text.Append(Line(w =>
        {
            w.WriteString("type", "campaign");
            w.WriteString("scenario", s.Scenario);
            w.WriteString("name", s.ScenarioName);
            w.WriteString("seeds", s.Seeds);
            w.WriteString("mode", s.Mode);
            w.WriteString("check", s.Check);
            w.WriteNumber("totalRuns", s.TotalRuns);
            w.WriteStartArray("shards");
            foreach (int i in s.Shards) w.WriteNumberValue(i);
            w.WriteEndArray();
            w.WriteNumber("shardCount", s.ShardCount);
            w.WriteNumber("runs", s.Runs);
            w.WriteNumber("failed", s.Failed);
            w.WriteNumber("notBooted", s.NotBooted);
        }));
        foreach (ExpectationTally e in s.Expectations)
        {
            text.Append(Line(w =>
            {
                w.WriteString("type", "expectation");
                w.WriteString("text", e.Text);
                w.WriteNumber("failedRuns", e.FailedRuns);
                if (e.FirstRun is { } run) w.WriteNumber("firstRun", run);
                if (e.FirstSeed is { } seed) w.WriteNumber("firstSeed", seed);
            }));
        }
        foreach (FailureGroup f in s.Failures) text.Append(Line(w => Failure(w, f)));
        return text.ToString();
    }

    /// <summary>One failure as a JSON object (also what <c>--out</c> writes beside its trace).</summary>
    public static string FailureObject(FailureGroup f) => Line(w => Failure(w, f));

    private static void Failure(Utf8JsonWriter w, FailureGroup f)
    {
        w.WriteString("type", "failure");
        w.WriteString("signature", f.Signature);
        w.WriteNumber("count", f.Count);
        w.WriteNumber("firstRun", f.FirstRun);
        w.WriteNumber("firstSeed", f.FirstSeed);
        Strings(w, "rules", f.Rules);
        if (f.Injected is { } injected) Strings(w, "injected", injected);
        if (f.Reproducer is { } r)
        {
            w.WriteStartObject("reproducer");
            w.WriteString("command", r.Command);
            Strings(w, "rules", r.Rules);
            w.WriteString("note", r.Note);
            w.WriteBoolean("reproduced", r.Reproduced);
            w.WriteEndObject();
        }
    }

    /// <summary>Reads a file written by <see cref="Write"/>; null and a message naming the file and line when malformed.</summary>
    public static CampaignSummary? Read(string path, string text, out string problem)
    {
        problem = "";
        CampaignSummary? s = null;
        var expectations = new List<ExpectationTally>();
        var failures = new List<FailureGroup>();
        string[] lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        for (int n = 0; n < lines.Length; n++)
        {
            try
            {
                using JsonDocument doc = JsonDocument.Parse(lines[n]);
                JsonElement o = doc.RootElement;
                string type = o.GetProperty("type").GetString() ?? "";
                if (n == 0 && type != "campaign") throw new FormatException("the first line must be the 'campaign' line");
                switch (type)
                {
                    case "campaign" when n == 0:
                        s = new CampaignSummary(Str(o, "scenario"), Str(o, "name"), Str(o, "seeds"), Str(o, "mode"), Str(o, "check"), o.GetProperty("totalRuns").GetInt64())
                        {
                            Shards = o.GetProperty("shards").EnumerateArray().Select(e => e.GetInt32()).ToList(),
                            ShardCount = o.GetProperty("shardCount").GetInt32(),
                            Runs = o.GetProperty("runs").GetInt64(),
                            Failed = o.GetProperty("failed").GetInt64(),
                            NotBooted = o.GetProperty("notBooted").GetInt64(),
                        };
                        break;
                    case "expectation":
                        expectations.Add(new ExpectationTally(Str(o, "text"), o.GetProperty("failedRuns").GetInt64(),
                            o.TryGetProperty("firstRun", out JsonElement r) ? r.GetInt64() : null, o.TryGetProperty("firstSeed", out JsonElement sd) ? sd.GetUInt64() : null));
                        break;
                    case "failure":
                        failures.Add(new FailureGroup(Str(o, "signature"), o.GetProperty("count").GetInt64(), o.GetProperty("firstRun").GetInt64(),
                            o.GetProperty("firstSeed").GetUInt64(), Strs(o, "rules"))
                        {
                            Injected = o.TryGetProperty("injected", out JsonElement _) ? Strs(o, "injected") : null,
                            Reproducer = o.TryGetProperty("reproducer", out JsonElement rp)
                                ? new Reproducer(Strs(rp, "rules"), Str(rp, "command"), Str(rp, "note"), rp.GetProperty("reproduced").GetBoolean()) : null,
                        });
                        break;
                    default:
                        throw new FormatException($"unknown line type '{type}'");
                }
            }
            catch (Exception e) when (e is JsonException or FormatException or KeyNotFoundException or InvalidOperationException)
            {
                problem = string.Create(CultureInfo.InvariantCulture, $"{path}:{n + 1}: not a campaign JSON Lines file ({e.Message})");
                return null;
            }
        }
        if (s is null)
        {
            problem = $"{path}: empty, not a campaign JSON Lines file";
            return null;
        }
        return s with { Expectations = expectations, Failures = failures };
    }

    private static string Str(JsonElement o, string key) => o.GetProperty(key).GetString() ?? throw new FormatException($"'{key}' is null");

    private static List<string> Strs(JsonElement o, string key) => o.GetProperty(key).EnumerateArray().Select(e => e.GetString() ?? "").ToList();

    private static void Strings(Utf8JsonWriter w, string name, IEnumerable<string> values)
    {
        w.WriteStartArray(name);
        foreach (string v in values) w.WriteStringValue(v);
        w.WriteEndArray();
    }

    private static string Line(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray()) + "\n";
    }
}
