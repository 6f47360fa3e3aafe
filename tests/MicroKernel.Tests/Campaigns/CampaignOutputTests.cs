using System.Xml.Linq;
using MicroKernel.Sim.Cli;

namespace MicroKernel.Tests.Campaigns;

/// <summary>What a campaign leaves behind: JUnit XML, and per failure a reproducer, a replayable trace and a JSON object.</summary>
public sealed class CampaignOutputTests : IDisposable
{
    private readonly CampaignRig _rig = new();

    public void Dispose() => _rig.Dispose();

    [Fact]
    public void Junit_is_well_formed_with_a_case_per_expectation_and_per_signature()
    {
        string file = _rig.PathOf("junit.xml");
        var (code, output, _) = CampaignRig.Mk("campaign", "careless", "--systematic", "--check", "end", "--junit", file);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        XDocument doc = XDocument.Load(file);
        XElement suite = doc.Root!.Element("testsuite")!;
        int signatures = output.Split('\n').Count(l => l.TrimStart().StartsWith('#') && l.Contains("(run ", StringComparison.Ordinal));
        var cases = suite.Elements("testcase").ToList();
        cases.Count.ShouldBe(3 + signatures);
        int.Parse(suite.Attribute("tests")!.Value, CultureInfo.InvariantCulture).ShouldBe(cases.Count);
        int.Parse(suite.Attribute("failures")!.Value, CultureInfo.InvariantCulture).ShouldBe(cases.Count(c => c.Element("failure") is not null));
        cases.ShouldContain(c => c.Attribute("name")!.Value == "builtin:careless:15: expect no-faults" && c.Element("failure") != null);
        cases.ShouldContain(c => c.Element("failure")!.Value.Contains("mk run careless --seed 1", StringComparison.Ordinal));
    }

    [Fact]
    public void Junit_of_a_clean_campaign_has_passing_cases_only()
    {
        string file = _rig.PathOf("clean.xml");
        CampaignRig.Mk("campaign", "careless", "--check", "end", "--junit", file).Code.ShouldBe(ExitCodes.Ok);
        XElement suite = XDocument.Load(file).Root!.Element("testsuite")!;
        suite.Attribute("failures")!.Value.ShouldBe("0");
        suite.Elements("testcase").Count().ShouldBe(3);
        suite.Descendants("failure").ShouldBeEmpty();
    }

    [Fact]
    public void Out_keeps_a_reproducer_a_replayable_trace_and_a_json_object_per_failure()
    {
        string dir = _rig.PathOf("out");
        var (code, output, _) = CampaignRig.Mk("campaign", "careless", "--systematic", "--check", "end", "--out", dir);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        string first = Path.Combine(dir, "failure-1");
        File.ReadAllText(Path.Combine(first, "reproducer.txt")).Trim().ShouldBe("mk run careless --seed 1 --check end --fault \"syscall name=map nth=1 error=InvalidArgument\"");
        File.ReadAllText(Path.Combine(first, "failure.json")).ShouldContain("\"signature\":\"expect process=mapper prints=");
        var (replayCode, replay, _) = CampaignRig.Mk("replay", Path.Combine(first, "trace.mktrace"));
        replayCode.ShouldBe(ExitCodes.Ok);
        replay.ShouldContain("OK");
        Directory.GetDirectories(dir).Length.ShouldBe(output.Split('\n').Count(l => l.Trim().StartsWith("mk run careless", StringComparison.Ordinal)));
    }

    [Fact]
    public void A_broken_invariant_is_its_own_signature_and_its_reproducer_panics()
    {
        // The fault lab's stale-TLB scenario: write, protect r--, write.
        string scenario = _rig.PathOf("stale-tlb.scn");
        File.WriteAllText(scenario, "memory 64\nprocess faulter program=faulter\nexpect process=faulter status=129\n");
        string rules = _rig.PathOf("bug.rules");
        File.WriteAllText(rules, "# a kernel that forgets a TLB flush\nkernel-bug name=skip-tlb-flush nth=1\n");
        var (code, output, _) = CampaignRig.Mk("campaign", scenario, "--rules", rules);
        code.ShouldBe(ExitCodes.ExpectationFailed);
        output.ShouldContain("panic: invariant tlb-coherence broken");
        output.ShouldContain("--fault \"kernel-bug name=skip-tlb-flush nth=1\"");
        output.ShouldContain("checked: it fails the same way");
    }
}
