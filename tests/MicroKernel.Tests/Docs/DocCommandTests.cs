using MicroKernel.Tests.X86;
using Shouldly;

namespace MicroKernel.Tests.Docs;

/// <summary>
/// The doc test: every shell block of README.md, docs/ and docs/labs/ runs as written and shows the output the page
/// quotes, so a doc that stops matching the program fails CI. Markers (docs/cli.md, "Docs that run") opt blocks out.
/// </summary>
public sealed class DocCommandTests
{
    /// <summary>Every page the doc test reads, relative to the repository root.</summary>
    public static TheoryData<string> Pages()
    {
        var data = new TheoryData<string>();
        foreach (string page in AllPages()) data.Add(page);
        return data;
    }

    private static readonly string[] DocFolders = ["docs", Path.Combine("docs", "labs")];

    private static IEnumerable<string> AllPages()
    {
        string root = CExamples.RepoRoot;
        IEnumerable<string> docs = DocFolders
            .SelectMany(d => Directory.GetFiles(Path.Combine(root, d), "*.md"))
            .Select(f => Path.GetRelativePath(root, f));
        return docs.Prepend("README.md").Order(StringComparer.Ordinal);
    }

    private static IReadOnlyList<DocBlock> Blocks(string page) =>
        DocPage.Parse(page, File.ReadAllText(Path.Combine(CExamples.RepoRoot, page)));

    [Theory]
    [MemberData(nameof(Pages))]
    public void Every_shell_block_runs_as_written(string page) => RunBlocks(page, DocMarker.None);

    [GccTheory]
    [MemberData(nameof(Pages))]
    public void Blocks_that_need_gcc_run_as_written(string page) => RunBlocks(page, DocMarker.NeedsGcc);

    [SlowDocTheory]
    [MemberData(nameof(Pages))]
    public void Slow_blocks_run_as_written(string page) => RunBlocks(page, DocMarker.Slow);

    // A page's blocks run in order in one folder (a trace recorded by one block is read by the next); the blocks of
    // the other kinds run too when this test runs them, so that files they make exist.
    private static void RunBlocks(string page, DocMarker kind)
    {
        IReadOnlyList<DocBlock> blocks = Blocks(page);
        if (!blocks.Any(b => b.Marker == kind)) return; // nothing of this kind on the page: nothing to check
        using var shell = new DocShell();
        var problems = new List<string>();
        foreach (DocBlock b in blocks)
        {
            if (b.Marker == kind || b.Marker is DocMarker.None or DocMarker.Illustrative) problems.AddRange(shell.Run(b));
        }
        problems.ShouldBeEmpty(string.Join("\n", problems));
    }
}

/// <summary>A theory over long doc blocks (benchmarks): skipped visibly unless MK_DOCTEST_SLOW=1.</summary>
public sealed class SlowDocTheoryAttribute : TheoryAttribute
{
    /// <summary>Sets <see cref="FactAttribute.Skip"/> unless MK_DOCTEST_SLOW is 1.</summary>
    public SlowDocTheoryAttribute()
    {
        if (Environment.GetEnvironmentVariable("MK_DOCTEST_SLOW") != "1") Skip = "a long run (benchmarks): set MK_DOCTEST_SLOW=1 to run these doc blocks";
    }
}
