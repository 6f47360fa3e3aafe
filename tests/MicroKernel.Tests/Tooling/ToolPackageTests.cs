using MicroKernel.Sim.Cli;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// mk installs like every .NET CLI tool (README.md): <c>dotnet pack</c> of sim makes the tool package
/// MicroKernel.Mk, <c>dotnet tool install</c> accepts it, and the installed <c>mk</c> runs. One test, as a user
/// would do it, as a tool on a tool path and as a local tool of a repository's manifest; it packs into a temporary artifacts folder so that it never touches the build it runs in, and it
/// installs from that folder alone (a nuget.config that clears every other source), so it needs no network.
/// </summary>
public sealed class ToolPackageTests : IDisposable
{
    private readonly string _temp = Directory.CreateTempSubdirectory("mk-tool-").FullName;

    [Fact]
    public void Packed_tool_installs_and_runs_mk()
    {
        string packages = Path.Combine(_temp, "packages");
        string tools = Path.Combine(_temp, "tools");
        HostProcess.Result pack = HostProcess.Run("dotnet",
            ["pack", Path.Combine(CExamples.RepoRoot, "sim", "mk.csproj"), "-o", packages, "--artifacts-path", Path.Combine(_temp, "artifacts")], _temp);
        pack.Code.ShouldBe(0, pack.ToString());
        Directory.GetFiles(packages, "*.nupkg").Select(Path.GetFileName).ShouldBe(["MicroKernel.Mk.0.1.0.nupkg"]);

        string config = Path.Combine(_temp, "nuget.config");
        File.WriteAllText(config, $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="mk" value="{packages}" />
              </packageSources>
            </configuration>
            """);
        HostProcess.Result install = HostProcess.Run("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", config, "MicroKernel.Mk"], _temp);
        install.Code.ShouldBe(0, install.ToString());
        install.Output.ShouldContain("microkernel.mk");

        string mk = Path.Combine(tools, OperatingSystem.IsWindows() ? "mk.exe" : "mk");
        HostProcess.Result version = HostProcess.Run(mk, ["--version"], _temp);
        version.Code.ShouldBe(0, version.ToString());
        version.Output.ShouldStartWith("0.1.0");

        HostProcess.Result deadlock = HostProcess.Run(mk, ["run", "deadlock"], _temp);
        deadlock.Code.ShouldBe(ExitCodes.Deadlock, deadlock.ToString());
        deadlock.Output.ShouldContain("run: Deadlock");

        // The same package as a local tool of one repository: a manifest, then `dotnet mk` (README.md).
        string repo = Directory.CreateDirectory(Path.Combine(_temp, "repo")).FullName;
        HostProcess.Result manifest = HostProcess.Run("dotnet", ["new", "tool-manifest"], repo);
        manifest.Code.ShouldBe(0, manifest.ToString());
        HostProcess.Result local = HostProcess.Run("dotnet", ["tool", "install", "--configfile", config, "MicroKernel.Mk"], repo);
        local.Code.ShouldBe(0, local.ToString());
        // .NET 10 writes the manifest at the top of the folder; earlier SDKs wrote .config/dotnet-tools.json.
        string[] manifests = Directory.GetFiles(repo, "dotnet-tools.json", SearchOption.AllDirectories);
        manifests.Length.ShouldBe(1);
        File.ReadAllText(manifests[0]).ShouldContain("\"mk\"");
        HostProcess.Result viaManifest = HostProcess.Run("dotnet", ["mk", "run", "deadlock"], repo);
        viaManifest.Code.ShouldBe(ExitCodes.Deadlock, viaManifest.ToString());
        viaManifest.Output.ShouldBe(deadlock.Output);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_temp, recursive: true);
        }
        catch (IOException)
        {
            // A tool host that has not quite let go of its files: the temp folder is the OS's to clean.
        }
    }
}
