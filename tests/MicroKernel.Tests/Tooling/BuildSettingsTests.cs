using System.Text.Json;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// The build settings a reviewer looks for (Directory.Build.props, sim/mk.csproj, global.json), read back from
/// MSBuild itself: a reproducible build under CI, Source Link's repository URL in packages, only the tool packable,
/// and the SDK pinned to one feature band.
/// </summary>
public sealed class BuildSettingsTests
{
    private static Dictionary<string, string> Properties(string project, string ci, params string[] names)
    {
        HostProcess.Result r = HostProcess.Run("dotnet",
            ["msbuild", Path.Combine(CExamples.RepoRoot, project), $"-p:CI={ci}", .. names.Select(n => $"-getProperty:{n}")], CExamples.RepoRoot);
        r.Code.ShouldBe(0, r.ToString());
        // One property prints its bare value; several print a JSON object.
        if (names.Length == 1) return new Dictionary<string, string> { [names[0]] = r.Output.Trim() };
        using JsonDocument json = JsonDocument.Parse(r.Output);
        return json.RootElement.GetProperty("Properties").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
    }

    [Fact]
    public void Mk_is_a_tool_package_built_reproducibly_under_CI_and_the_libraries_are_not_packed()
    {
        Dictionary<string, string> ci = Properties("sim/mk.csproj", "true",
            "ContinuousIntegrationBuild", "Deterministic", "PublishRepositoryUrl", "IsPackable", "PackAsTool", "ToolCommandName", "PackageId", "PackageLicenseExpression", "PackageReadmeFile");
        ci.ShouldBe(new Dictionary<string, string>
        {
            ["ContinuousIntegrationBuild"] = "true", ["Deterministic"] = "true", ["PublishRepositoryUrl"] = "true", ["IsPackable"] = "true",
            ["PackAsTool"] = "true", ["ToolCommandName"] = "mk", ["PackageId"] = "MicroKernel.Mk", ["PackageLicenseExpression"] = "MIT",
            ["PackageReadmeFile"] = "README.md",
        }, ignoreOrder: true);
        // A developer's build keeps real paths in its PDBs, for the debugger.
        Properties("sim/mk.csproj", "false", "ContinuousIntegrationBuild")["ContinuousIntegrationBuild"].ShouldBeEmpty();
        Properties("kernel/MicroKernel.Kernel.csproj", "true", "IsPackable")["IsPackable"].ShouldBe("false");
    }

    [Theory]
    [InlineData("sim/mk.csproj")]
    [InlineData("kernel/MicroKernel.Kernel.csproj")]
    [InlineData("tests/MicroKernel.Tests/MicroKernel.Tests.csproj")]
    public void Every_project_builds_with_the_recommended_analyzers_and_code_style_as_errors(string project)
    {
        Properties(project, "false", "AnalysisLevel", "EnforceCodeStyleInBuild", "TreatWarningsAsErrors", "Nullable").ShouldBe(new Dictionary<string, string>
        {
            ["AnalysisLevel"] = "latest-recommended", ["EnforceCodeStyleInBuild"] = "true", ["TreatWarningsAsErrors"] = "true", ["Nullable"] = "enable",
        }, ignoreOrder: true);
    }

    [Fact]
    public void Global_json_pins_the_sdk_feature_band()
    {
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(Path.Combine(CExamples.RepoRoot, "global.json")));
        JsonElement sdk = json.RootElement.GetProperty("sdk");
        (sdk.GetProperty("version").GetString() ?? "").ShouldMatch(@"^10\.0\.4\d\d$");
        // latestPatch: a newer patch of the same band, never another band or major version.
        sdk.GetProperty("rollForward").GetString().ShouldBe("latestPatch");
        sdk.GetProperty("allowPrerelease").GetBoolean().ShouldBeFalse();
    }
}
