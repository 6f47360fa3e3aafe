using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Docs;

/// <summary>
/// Runs a page's shell blocks as a student would, in a fresh folder of its own whose entries link to the repository
/// (files a command writes stay there), with <c>mk</c> the built executable: <c>dotnet run --project sim --</c> is
/// rewritten to <c>mk</c> (0.3 s a command instead of 3.5 s). <c>dotnet test</c> lines never run (the suite would
/// run itself). A command must exit 0, or the code its comment names (<c>(exit code N</c>); one followed by
/// <c>echo $?</c> prints its code for the output block to check.
/// </summary>
public sealed partial class DocShell : IDisposable
{
    /// <summary>A command may take this long before the doc test calls it hung.</summary>
    private static readonly TimeSpan CommandLimit = TimeSpan.FromSeconds(60);

    private readonly string _dir;

    /// <summary>Makes the fresh folder for one page.</summary>
    public DocShell()
    {
        _dir = Directory.CreateTempSubdirectory("mk-doctest-").FullName;
        foreach (string entry in Directory.EnumerateFileSystemEntries(CExamples.RepoRoot))
        {
            string name = Path.GetFileName(entry);
            if (name is ".git") continue;
            if (Directory.Exists(entry)) Directory.CreateSymbolicLink(Path.Combine(_dir, name), entry);
            else File.CreateSymbolicLink(Path.Combine(_dir, name), entry);
        }
        string bin = Path.Combine(_dir, ".doctest-bin");
        Directory.CreateDirectory(bin);
        string mk = Path.Combine(bin, "mk");
        File.WriteAllText(mk, $"#!/bin/sh\nexec '{Path.Combine(AppContext.BaseDirectory, "mk")}' \"$@\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(mk, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    /// <summary>Runs <paramref name="block"/>; returns what went wrong (empty when it ran as written).</summary>
    public IReadOnlyList<string> Run(DocBlock block)
    {
        var problems = new List<string>();
        var all = new StringBuilder();
        foreach (string command in block.Commands)
        {
            if (command.StartsWith("dotnet test", StringComparison.Ordinal)) continue;
            string script = Rewrite(command);
            (int code, string output) = Bash(script);
            all.Append(output);
            int? expected = ExpectedCode(command);
            if (expected is { } e && code != e)
                problems.Add($"{block}: `{command}` exited {code}, the doc says {e}; its output ends:\n{Tail(output)}");
        }
        string text = all.ToString();
        foreach (string line in block.Expected)
        {
            string trimmed = line.Trim();
            if (trimmed is "..." or "…") continue;
            if (!DocPage.Shows(text, trimmed)) problems.Add($"{block}: the output does not show `{trimmed}`");
        }
        return problems;
    }

    /// <summary>The exit code a command line's comment promises: <c>(exit code N</c>; none after <c>echo $?</c>; else 0.</summary>
    public static int? ExpectedCode(string command)
    {
        if (command.EndsWith("; echo $?", StringComparison.Ordinal)) return null;
        Match m = ExitComment().Match(command);
        return m.Success ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
    }

    /// <summary><c>dotnet run --project sim --</c> (or without <c>--</c>) becomes <c>mk</c>.</summary>
    public static string Rewrite(string command) =>
        command.Replace("dotnet run --project sim --", "mk", StringComparison.Ordinal).Replace("dotnet run --project sim", "mk", StringComparison.Ordinal);

    private (int Code, string Output) Bash(string script)
    {
        var info = new ProcessStartInfo("bash", ["-c", script])
        {
            WorkingDirectory = _dir,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        info.Environment["PATH"] = Path.Combine(_dir, ".doctest-bin") + Path.PathSeparator + Environment.GetEnvironmentVariable("PATH");
        using Process p = Process.Start(info)!;
        Task<string> stdout = p.StandardOutput.ReadToEndAsync();
        Task<string> stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(CommandLimit))
        {
            p.Kill(entireProcessTree: true);
            return (-1, $"(killed after {CommandLimit.TotalSeconds} s)\n");
        }
        return (p.ExitCode, stdout.Result + stderr.Result);
    }

    private static string Tail(string output)
    {
        string[] lines = output.TrimEnd().Split('\n');
        return string.Join('\n', lines.Skip(Math.Max(0, lines.Length - 8)));
    }

    /// <inheritdoc />
    public void Dispose()
    {
        try
        {
            // The links are removed, not followed: the repository stays untouched.
            foreach (string entry in Directory.EnumerateFileSystemEntries(_dir))
            {
                if (new FileInfo(entry).LinkTarget is not null) File.Delete(entry);
                else if (Directory.Exists(entry)) Directory.Delete(entry, recursive: true);
                else File.Delete(entry);
            }
            Directory.Delete(_dir);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }

    [GeneratedRegex(@"#.*\(exit code (\d+)")]
    private static partial Regex ExitComment();
}
