using System.Text.RegularExpressions;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// Fuzz loops draw from CsCheck generators (which shrink a failure) or from <see cref="TestRandom"/> (the kernel's
/// SplitMix64), never from a System.Random, whose seeded sequence .NET does not promise to keep; the kernel, userland
/// and sim draw from the kernel's seeded generators alone (a run is a pure function of its seed).
/// </summary>
public sealed class RandomUseTests
{
    [Theory]
    [InlineData("tests")]
    [InlineData("kernel")]
    [InlineData("userland")]
    [InlineData("sim")]
    public void No_code_constructs_System_Random(string folder)
    {
        string root = Path.Combine(CExamples.RepoRoot, folder);
        var offenders = Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => Regex.IsMatch(x.line, @"new\s+(System\.)?Random\s*\(|\bRandom\.Shared\b"))
            .Select(x => $"{Path.GetRelativePath(CExamples.RepoRoot, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        offenders.ShouldBeEmpty();
    }
}
