namespace MicroKernel.Tests.Docs;

/// <summary>What a <c>&lt;!-- doctest: ... --&gt;</c> marker line before a fenced block asks of the doc test.</summary>
public enum DocMarker
{
    /// <summary>No marker: a shell block runs, an output block is checked.</summary>
    None,
    /// <summary><c>skip REASON</c>: never run (an edit to do by hand, a command that is not ours).</summary>
    Skip,
    /// <summary><c>needs-gcc</c>: runs only where gcc is on PATH (a test of its own, skipped visibly without it).</summary>
    NeedsGcc,
    /// <summary><c>slow</c>: a long run (benchmarks); runs only with MK_DOCTEST_SLOW=1.</summary>
    Slow,
    /// <summary><c>illustrative</c>: an output block that shows the shape of an output, not bytes to check.</summary>
    Illustrative,
}

/// <summary>One <c>```sh</c> block of a doc page: its commands and the output block that follows it, if any.</summary>
/// <param name="Page">The page, relative to the repository root.</param>
/// <param name="Line">The line of the opening fence.</param>
/// <param name="Marker">The marker before the block.</param>
/// <param name="Commands">Its command lines (comment-only lines dropped; <c>echo $?</c> kept with its command).</param>
/// <param name="Expected">The lines of the output block that follows it (empty when none, or when illustrative).</param>
public sealed record DocBlock(string Page, int Line, DocMarker Marker, IReadOnlyList<string> Commands, IReadOnlyList<string> Expected)
{
    /// <inheritdoc />
    public override string ToString() => $"{Page}:{Line}";
}
