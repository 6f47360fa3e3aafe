using System.Text.RegularExpressions;

namespace MicroKernel.Tests.Docs;

/// <summary>
/// Reads the shell blocks of a markdown page for the doc test (docs/cli.md, "Docs that run"): every <c>```sh</c>
/// block is a list of commands; the first plain <c>```</c> block after it, before the next shell block or heading, is
/// the output it must show. A line <c>&lt;!-- doctest: MARKER --&gt;</c> just before a fence marks that block.
/// </summary>
public static partial class DocPage
{
    /// <summary>Reads <paramref name="text"/> (the page <paramref name="page"/>); an unknown marker is an error.</summary>
    public static IReadOnlyList<DocBlock> Parse(string page, string text)
    {
        string[] lines = text.Replace("\r", "", StringComparison.Ordinal).Split('\n');
        var blocks = new List<DocBlock>();
        DocMarker pending = DocMarker.None;
        int i = 0, lastShellEnd = 0;
        while (i < lines.Length)
        {
            string line = lines[i];
            Match m = MarkerLine().Match(line);
            if (m.Success)
            {
                pending = ParseMarker(m.Groups[1].Value, page, i + 1);
                i++;
                continue;
            }
            if (line.TrimStart().StartsWith("```", StringComparison.Ordinal))
            {
                string info = line.TrimStart()[3..].Trim();
                int start = i;
                var body = new List<string>();
                for (i++; i < lines.Length && !lines[i].TrimStart().StartsWith("```", StringComparison.Ordinal); i++) body.Add(lines[i]);
                i++; // the closing fence
                if (info is "sh" or "bash")
                {
                    blocks.Add(new DocBlock(page, start + 1, pending, Commands(body), []));
                    lastShellEnd = i;
                }
                else if (info.Length == 0 && blocks.Count > 0 && blocks[^1].Expected.Count == 0 && OutputBelongs(lines, lastShellEnd, start))
                    blocks[^1] = blocks[^1] with { Expected = pending == DocMarker.Illustrative ? [] : [.. body.Where(l => l.Trim().Length > 0)] };
                pending = DocMarker.None;
                continue;
            }
            i++;
        }
        return blocks;
    }

    /// <summary>True when <paramref name="expected"/> (a line of an output block) matches a line of <paramref name="actual"/>.</summary>
    /// <remarks><c>...</c> (or <c>…</c>) stands for any text; runs of white space match any white space.</remarks>
    public static bool Shows(string actual, string expected)
    {
        var pattern = new Regex(Pattern(expected), RegexOptions.CultureInvariant);
        return actual.Replace("\r", "", StringComparison.Ordinal).Split('\n').Any(l => pattern.IsMatch(l));
    }

    private static string Pattern(string expected)
    {
        string[] parts = expected.Trim().Split(["...", "…"], StringSplitOptions.None);
        return string.Join(".*", parts.Select(p => string.Join("\\s+", Whitespace().Split(p).Select(Regex.Escape))));
    }

    // The output block belongs to the shell block when no heading lies between the shell block's end and it.
    private static bool OutputBelongs(string[] lines, int shellEnd, int outputStart) =>
        !lines[Math.Min(shellEnd, outputStart)..outputStart].Any(l => l.StartsWith('#'));

    private static List<string> Commands(List<string> body)
    {
        var commands = new List<string>();
        foreach (string raw in body)
        {
            string line = raw.Trim();
            if (line.Length == 0 || line.StartsWith('#')) continue;
            if (line == "echo $?" && commands.Count > 0) commands[^1] += "; echo $?";
            else commands.Add(line);
        }
        return commands;
    }

    private static DocMarker ParseMarker(string text, string page, int line)
    {
        string word = text.Split(' ', 2)[0];
        return word switch
        {
            "skip" when text.Trim().Length > "skip".Length => DocMarker.Skip,
            "skip" => throw new InvalidDataException($"{page}:{line}: 'doctest: skip' needs a reason"),
            "needs-gcc" => DocMarker.NeedsGcc,
            "slow" => DocMarker.Slow,
            "illustrative" => DocMarker.Illustrative,
            _ => throw new InvalidDataException($"{page}:{line}: unknown doctest marker '{word}' (skip REASON, needs-gcc, slow, illustrative)"),
        };
    }

    [GeneratedRegex(@"^\s*<!--\s*doctest:\s*(.*?)\s*-->\s*$")]
    private static partial Regex MarkerLine();

    [GeneratedRegex(@"\s+")]
    private static partial Regex Whitespace();
}
