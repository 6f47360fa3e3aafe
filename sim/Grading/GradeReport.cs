using System.Text;
using System.Text.Json;
using System.Xml;

namespace MicroKernel.Sim.Grading;

/// <summary>The grader's results as a score table, a JSON document (LMS import) or a JUnit XML file (CI).</summary>
public static class GradeReport
{
    /// <summary>Points earned over all tests.</summary>
    public static double Total(IReadOnlyList<GradeTest> tests) => tests.Sum(t => t.Score);

    /// <summary>Points possible over all tests.</summary>
    public static int Possible(IReadOnlyList<GradeTest> tests) => tests.Sum(t => t.Points);

    /// <summary>The score table, then the first failure of each test that lost points.</summary>
    public static void Table(TextWriter output, string assignment, IReadOnlyList<GradeTest> tests)
    {
        int width = Math.Max(4, tests.Count == 0 ? 0 : tests.Max(t => t.Test.Length));
        output.WriteLine($"grade: {assignment}");
        output.WriteLine($"{"test".PadRight(width)}  runs  passed  points");
        foreach (GradeTest t in tests)
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{t.Test.PadRight(width)}  {t.Runs.Count,4}  {t.Passed,6}  {t.Score,5:0.00} / {t.Points}"));
        double total = Total(tests);
        int possible = Possible(tests);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"total: {total:0.00} / {possible} ({(possible == 0 ? 0 : 100 * total / possible):0}%)"));
        foreach (GradeTest t in tests)
            if (t.Runs.FirstOrDefault(r => !r.Passed) is { } first)
                output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {t.Test} [{first.Scheduler}, seed {first.Seed}]: {first.Why}"));
    }

    /// <summary>The results as one JSON document.</summary>
    public static void Json(TextWriter output, string assignment, IReadOnlyList<GradeTest> tests)
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("assignment", assignment);
            w.WriteNumber("score", Math.Round(Total(tests), 4));
            w.WriteNumber("possible", Possible(tests));
            w.WriteStartArray("tests");
            foreach (GradeTest t in tests)
            {
                w.WriteStartObject();
                w.WriteString("test", t.Test);
                w.WriteNumber("points", t.Points);
                w.WriteNumber("score", Math.Round(t.Score, 4));
                w.WriteStartArray("runs");
                foreach (GradeRun r in t.Runs)
                {
                    w.WriteStartObject();
                    w.WriteString("scheduler", r.Scheduler);
                    w.WriteNumber("seed", r.Seed);
                    w.WriteBoolean("passed", r.Passed);
                    if (!r.Passed) w.WriteString("why", r.Why);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        output.WriteLine(Encoding.UTF8.GetString(stream.ToArray()));
    }

    /// <summary>The results as JUnit XML: one test suite, one test case per run, a failure with the reason.</summary>
    public static void JUnit(string path, string assignment, IReadOnlyList<GradeTest> tests)
    {
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false) };
        using XmlWriter x = XmlWriter.Create(path, settings);
        x.WriteStartElement("testsuites");
        x.WriteStartElement("testsuite");
        x.WriteAttributeString("name", assignment);
        x.WriteAttributeString("tests", tests.Sum(t => t.Runs.Count).ToString(CultureInfo.InvariantCulture));
        x.WriteAttributeString("failures", tests.Sum(t => t.Runs.Count - t.Passed).ToString(CultureInfo.InvariantCulture));
        foreach (GradeTest t in tests)
            foreach (GradeRun r in t.Runs)
            {
                x.WriteStartElement("testcase");
                x.WriteAttributeString("classname", assignment + "." + t.Test.Replace('/', '.'));
                x.WriteAttributeString("name", string.Create(CultureInfo.InvariantCulture, $"{r.Scheduler} seed {r.Seed}"));
                if (!r.Passed)
                {
                    x.WriteStartElement("failure");
                    x.WriteAttributeString("message", r.Why);
                    x.WriteEndElement();
                }
                x.WriteEndElement();
            }
        x.WriteEndElement();
        x.WriteEndElement();
    }
}
