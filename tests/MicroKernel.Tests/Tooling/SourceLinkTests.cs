using System.IO.Compression;
using System.Text.Json;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// Source Link, for the day the repository has a remote (this clone has none): with the repository's own
/// Directory.Build.props, Directory.Packages.props and global.json, a clone whose <c>origin</c> is a GitHub URL packs
/// a package that names the repository and the commit, and a CI build (CI=true) maps its sources to that commit's
/// raw files, so a debugger fetches exactly the code that was built. The settings are checked on a small library in
/// a temporary git repository, so that the test neither needs a remote nor changes this clone's.
/// </summary>
public sealed class SourceLinkTests : IDisposable
{
    private readonly string _repo = Directory.CreateTempSubdirectory("mk-sourcelink-").FullName;

    private HostProcess.Result Git(params string[] args)
    {
        HostProcess.Result r = HostProcess.Run("git", ["-c", "user.name=test", "-c", "user.email=test@example.invalid", .. args], _repo);
        r.Code.ShouldBe(0, r.ToString());
        return r;
    }

    [Fact]
    public void A_clone_with_a_github_origin_packs_the_repository_and_commit_and_maps_sources_to_them()
    {
        foreach (string file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json" })
            File.Copy(Path.Combine(CExamples.RepoRoot, file), Path.Combine(_repo, file));
        Directory.CreateDirectory(Path.Combine(_repo, "hello"));
        File.WriteAllText(Path.Combine(_repo, "hello", "Hello.csproj"), """
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <IsPackable>true</IsPackable>
              </PropertyGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(_repo, "hello", "Answer.cs"), "namespace Hello;\n\npublic static class Answer\n{\n    public const int Value = 42;\n}\n");
        Git("init", "-q");
        Git("add", "-A");
        Git("commit", "-q", "-m", "library");
        Git("remote", "add", "origin", "git@github.com:example/microkernel.git");
        string commit = Git("rev-parse", "HEAD").Output.Trim();

        HostProcess.Result pack = HostProcess.Run("dotnet", ["pack", Path.Combine("hello", "Hello.csproj"), "-p:CI=true", "-o", "out"], _repo);
        pack.Code.ShouldBe(0, pack.ToString());
        pack.Output.ShouldNotContain("warning", Case.Insensitive);

        // The package names its source: the origin (an ssh URL, published as https) and the commit.
        using (ZipArchive package = ZipFile.OpenRead(Path.Combine(_repo, "out", "Hello.0.1.0.nupkg")))
        {
            using var reader = new StreamReader(package.GetEntry("Hello.nuspec")!.Open());
            string nuspec = reader.ReadToEnd();
            nuspec.ShouldContain("<repository type=\"git\" url=\"https://github.com/example/microkernel.git\"");
            nuspec.ShouldContain($"commit=\"{commit}\"");
        }

        // The PDB's Source Link map: deterministic paths (/_/, a CI build) to that commit's raw files.
        string map = Directory.GetFiles(Path.Combine(_repo, "hello", "obj"), "*.sourcelink.json", SearchOption.AllDirectories).ShouldHaveSingleItem();
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(map));
        json.RootElement.GetProperty("documents").GetProperty("/_/*").GetString()
            .ShouldBe($"https://raw.githubusercontent.com/example/microkernel/{commit}/*");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(_repo, recursive: true);
        }
        catch (IOException)
        {
            // A build server that has not quite let go of its files: the temp folder is the OS's to clean.
        }
        catch (UnauthorizedAccessException)
        {
            // git marks its objects read-only on some systems; the temp folder is the OS's to clean.
        }
    }
}
