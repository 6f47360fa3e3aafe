using System.Text.RegularExpressions;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// Fuzz loops draw from CsCheck generators (which shrink a failure) or from <see cref="TestRandom"/> (the kernel's
/// SplitMix64), never from a System.Random, whose seeded sequence .NET does not promise to keep.
/// </summary>
public sealed class RandomUseTests
{
    [Fact]
    public void No_test_or_benchmark_constructs_System_Random()
    {
        string tests = Path.Combine(CExamples.RepoRoot, "tests");
        var offenders = Directory.EnumerateFiles(tests, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (f, i, line)))
            .Where(x => Regex.IsMatch(x.line, @"new\s+(System\.)?Random\s*\("))
            .Select(x => $"{Path.GetRelativePath(tests, x.f)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        offenders.ShouldBeEmpty();
    }
}
