using System.Xml.Linq;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// No package is referenced "for later": every package a product project (kernel, userland, sim and the projects
/// inside them) references is used by that project's own source files. A reference nobody uses is a dependency to
/// restore, audit and update for nothing (issue 18 found Microsoft.Extensions.ObjectPool referenced and unused).
/// </summary>
public sealed class PackageUseTests
{
    // What a source file that uses the package names: its root namespace. A package without an entry fails the
    // test, so a new dependency is added here together with its first use.
    private static readonly Dictionary<string, string> Namespaces = new(StringComparer.Ordinal)
    {
        ["Iced"] = "Iced.Intel",
        ["Microsoft.Extensions.ObjectPool"] = "Microsoft.Extensions.ObjectPool",
        ["System.CommandLine"] = "System.CommandLine",
        ["Spectre.Console"] = "Spectre.Console",
        ["System.IO.Hashing"] = "System.IO.Hashing",
        ["Google.Protobuf"] = "Google.Protobuf", // the Perfetto protobuf export (sim/Protos)
        ["Microsoft.CodeAnalysis.CSharp"] = "Microsoft.CodeAnalysis", // the compiler API (with its C# part)
    };

    // Packages used at build time only, with no namespace to look for.
    private static readonly HashSet<string> BuildOnly = new(StringComparer.Ordinal)
    {
        "Microsoft.CodeAnalysis.Analyzers", // rules for analyzer authors, run on the analyzer project's own code
        "Grpc.Tools",                       // protoc: makes C# from sim/Protos/*.proto at build time
    };

    private static readonly string[] ProductFolders = ["kernel", "userland", "sim"];

    public static TheoryData<string> Projects()
    {
        var data = new TheoryData<string>();
        foreach (string folder in ProductFolders)
        {
            foreach (string project in Directory.GetFiles(Path.Combine(CExamples.RepoRoot, folder), "*.csproj", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                data.Add(Path.GetRelativePath(CExamples.RepoRoot, project));
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Projects))]
    public void Every_package_a_project_references_is_used_by_its_code(string project)
    {
        string path = Path.Combine(CExamples.RepoRoot, project);
        string dir = Path.GetDirectoryName(path)!;
        List<string> packages = [.. XDocument.Load(path).Descendants("PackageReference").Select(e => (string)e.Attribute("Include")!)];
        string[] sources = [.. ProjectSources(dir).Select(File.ReadAllText)];
        sources.ShouldNotBeEmpty(project);
        foreach (string package in packages.Where(p => !BuildOnly.Contains(p)))
        {
            Namespaces.TryGetValue(package, out string? ns).ShouldBeTrue($"{project} references {package}: add its namespace to {nameof(PackageUseTests)}");
            sources.Any(s => s.Contains(ns!, StringComparison.Ordinal)).ShouldBeTrue($"{project} references {package} but none of its files uses {ns}");
        }
    }

    // The project's .cs files: its folder, less build output and the folders of projects nested inside it.
    private static IEnumerable<string> ProjectSources(string dir)
    {
        foreach (string file in Directory.GetFiles(dir, "*.cs")) yield return file;
        foreach (string sub in Directory.GetDirectories(dir))
        {
            string name = Path.GetFileName(sub);
            if (name is "bin" or "obj" || Directory.GetFiles(sub, "*.csproj").Length > 0) continue;
            foreach (string file in ProjectSources(sub)) yield return file;
        }
    }
}
