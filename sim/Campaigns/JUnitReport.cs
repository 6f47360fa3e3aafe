using System.Text;
using System.Xml;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// A campaign as JUnit XML (<c>--junit FILE</c>), so CI systems show it natively: one test suite, one test case per
/// <c>expect</c> line of the scenario (failed when some run missed it) and one per failure signature (always failed,
/// with its count, first seed and reproducer); a campaign with neither has one passing case for its oracle.
/// </summary>
public static class JUnitReport
{
    /// <summary>The XML text of <paramref name="s"/>.</summary>
    public static string Write(CampaignSummary s)
    {
        var text = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
        using (var sw = new Utf8StringWriter(text))
        using (XmlWriter w = XmlWriter.Create(sw, settings))
        {
            int failedExpectations = s.Expectations.Count(e => e.FailedRuns > 0);
            int cases = s.Expectations.Count + s.Failures.Count + (s.Expectations.Count + s.Failures.Count == 0 ? 1 : 0);
            string suite = $"campaign {s.ScenarioName}";
            w.WriteStartElement("testsuites");
            w.WriteStartElement("testsuite");
            w.WriteAttributeString("name", suite);
            w.WriteAttributeString("tests", cases.ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("failures", (failedExpectations + s.Failures.Count).ToString(CultureInfo.InvariantCulture));
            w.WriteAttributeString("errors", "0");
            w.WriteStartElement("properties");
            Property(w, "scenario", s.Scenario);
            Property(w, "seeds", s.Seeds);
            Property(w, "mode", s.Mode);
            Property(w, "check", s.Check);
            Property(w, "runs", s.Runs.ToString(CultureInfo.InvariantCulture));
            w.WriteEndElement();
            foreach (ExpectationTally e in s.Expectations)
            {
                Case(w, suite + ".expectations", e.Text);
                if (e.FailedRuns > 0)
                {
                    FailureGroup? first = s.Failures.FirstOrDefault(f => f.FirstRun == e.FirstRun);
                    Failure(w, string.Create(CultureInfo.InvariantCulture, $"not met in {e.FailedRuns} of {s.Runs} runs (first: run {e.FirstRun}, seed {e.FirstSeed})"),
                        first?.Reproducer?.Command ?? "");
                }
                w.WriteEndElement();
            }
            foreach (FailureGroup f in s.Failures)
            {
                Case(w, suite + ".failures", f.Signature);
                Failure(w, string.Create(CultureInfo.InvariantCulture, $"{f.Count} of {s.Runs} runs failed this way (first: run {f.FirstRun}, seed {f.FirstSeed})"),
                    f.Reproducer is { } r ? $"{r.Command}\n{r.Note}" : "");
                w.WriteEndElement();
            }
            if (cases == 1 && s.Expectations.Count + s.Failures.Count == 0)
            {
                Case(w, suite, string.Create(CultureInfo.InvariantCulture, $"{s.Runs} runs: no panic, invariant violation, deadlock, tick limit or host exception"));
                w.WriteEndElement();
            }
            w.WriteEndElement();
            w.WriteEndElement();
        }
        return text.ToString();
    }

    private static void Property(XmlWriter w, string name, string value)
    {
        w.WriteStartElement("property");
        w.WriteAttributeString("name", name);
        w.WriteAttributeString("value", value);
        w.WriteEndElement();
    }

    private static void Case(XmlWriter w, string className, string name)
    {
        w.WriteStartElement("testcase");
        w.WriteAttributeString("classname", className);
        w.WriteAttributeString("name", name);
    }

    private static void Failure(XmlWriter w, string message, string body)
    {
        w.WriteStartElement("failure");
        w.WriteAttributeString("message", message);
        w.WriteAttributeString("type", "campaign");
        w.WriteString(body);
        w.WriteEndElement();
    }

    // A StringWriter that says UTF-8, so the XML declaration says so too.
    private sealed class Utf8StringWriter(StringBuilder text) : StringWriter(text, CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => Encoding.UTF8;
    }
}
