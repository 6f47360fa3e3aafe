using MicroKernel.Sim.Cli;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// mk installs like every .NET CLI tool (README.md): <c>dotnet pack</c> of sim makes the tool package
/// MicroKernel.Mk, <c>dotnet tool install</c> accepts it, and the installed <c>mk</c> runs, as a user would do it:
/// as a tool on a tool path (what <c>--global</c> does in ~/.dotnet/tools) and as a local tool of a repository's
/// manifest. The package is packed once (<see cref="PackedTool"/>) into a temporary artifacts folder, so that it
/// never touches the build it runs in, and installed from that folder alone (a nuget.config that clears every
/// other source), so no network is needed.
/// </summary>
public sealed class ToolPackageTests(ToolPackageTests.PackedTool packed) : IClassFixture<ToolPackageTests.PackedTool>
{
    [Fact]
    public void Packed_tool_installs_on_a_tool_path_and_runs_mk()
    {
        packed.PackCode.ShouldBe(0, packed.PackLog);
        Directory.GetFiles(packed.Packages, "*.nupkg").Select(Path.GetFileName).ShouldBe(["MicroKernel.Mk.0.1.0.nupkg"]);

        string tools = Path.Combine(packed.Temp, "tools");
        HostProcess.Result install = HostProcess.Run("dotnet", ["tool", "install", "--tool-path", tools, "--configfile", packed.Config, "MicroKernel.Mk"], packed.Temp);
        install.Code.ShouldBe(0, install.ToString());
        install.Output.ShouldContain("microkernel.mk");

        string mk = Path.Combine(tools, OperatingSystem.IsWindows() ? "mk.exe" : "mk");
        HostProcess.Result version = HostProcess.Run(mk, ["--version"], packed.Temp);
        version.Code.ShouldBe(0, version.ToString());
        version.Output.ShouldStartWith("0.1.0");

        HostProcess.Result deadlock = HostProcess.Run(mk, ["run", "deadlock"], packed.Temp);
        deadlock.Code.ShouldBe(ExitCodes.Deadlock, deadlock.ToString());
        deadlock.Output.ShouldContain("run: Deadlock");
    }

    [Fact]
    public void Packed_tool_installs_in_a_local_tool_manifest_and_runs_as_dotnet_mk()
    {
        packed.PackCode.ShouldBe(0, packed.PackLog);
        string repo = Directory.CreateDirectory(Path.Combine(packed.Temp, "repo")).FullName;
        HostProcess.Result manifest = HostProcess.Run("dotnet", ["new", "tool-manifest"], repo);
        manifest.Code.ShouldBe(0, manifest.ToString());
        HostProcess.Result install = HostProcess.Run("dotnet", ["tool", "install", "--configfile", packed.Config, "MicroKernel.Mk"], repo);
        install.Code.ShouldBe(0, install.ToString());
        // .NET 10 writes the manifest at the top of the folder; earlier SDKs wrote .config/dotnet-tools.json.
        string[] manifests = Directory.GetFiles(repo, "dotnet-tools.json", SearchOption.AllDirectories);
        manifests.Length.ShouldBe(1);
        File.ReadAllText(manifests[0]).ShouldContain("\"mk\"");

        HostProcess.Result deadlock = HostProcess.Run("dotnet", ["mk", "run", "deadlock"], repo);
        deadlock.Code.ShouldBe(ExitCodes.Deadlock, deadlock.ToString());
        deadlock.Output.ShouldContain("run: Deadlock");
    }

    /// <summary>The tool package, packed once for both tests, and a nuget.config whose only source is its folder.</summary>
    public sealed class PackedTool : IDisposable
    {
        /// <summary>The temporary folder everything goes into (deleted at the end).</summary>
        public string Temp { get; } = Directory.CreateTempSubdirectory("mk-tool-").FullName;

        /// <summary>The folder the package was packed into.</summary>
        public string Packages => Path.Combine(Temp, "packages");

        /// <summary>The nuget.config that names <see cref="Packages"/> as the only source.</summary>
        public string Config => Path.Combine(Temp, "nuget.config");

        /// <summary><c>dotnet pack</c>'s exit code (each test checks it).</summary>
        public int PackCode { get; }

        /// <summary>What <c>dotnet pack</c> printed.</summary>
        public string PackLog { get; }

        public PackedTool()
        {
            HostProcess.Result pack = HostProcess.Run("dotnet",
                ["pack", Path.Combine(CExamples.RepoRoot, "sim", "mk.csproj"), "-o", Packages, "--artifacts-path", Path.Combine(Temp, "artifacts")], Temp);
            (PackCode, PackLog) = (pack.Code, pack.ToString());
            File.WriteAllText(Config, $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <clear />
                    <add key="mk" value="{Packages}" />
                  </packageSources>
                </configuration>
                """);
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Temp, recursive: true);
            }
            catch (IOException)
            {
                // A tool host that has not quite let go of its files: the temp folder is the OS's to clean.
            }
        }
    }
}
