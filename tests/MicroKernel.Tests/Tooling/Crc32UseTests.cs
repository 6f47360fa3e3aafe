using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// The trace's CRC-32 is System.IO.Hashing's (vectorized, well kept), not a hand-written table loop: no source file
/// of the product holds the reflected IEEE polynomial or the table entry it makes (FormatTests checks the values).
/// </summary>
public sealed class Crc32UseTests
{
    private static readonly string[] ProductFolders = ["kernel", "userland", "sim"];

    [Fact]
    public void No_product_code_computes_crc32_by_hand()
    {
        string[] marks = ["EDB88320", "77073096"]; // the polynomial, and the first non-zero entry of its table
        var offenders = ProductFolders
            .SelectMany(folder => Directory.EnumerateFiles(Path.Combine(CExamples.RepoRoot, folder), "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .Where(f => marks.Any(m => File.ReadAllText(f).Contains(m, StringComparison.OrdinalIgnoreCase)))
            .Select(f => Path.GetRelativePath(CExamples.RepoRoot, f))
            .ToList();
        offenders.ShouldBeEmpty();
    }
}
