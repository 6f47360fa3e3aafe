using System.Text.RegularExpressions;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// Each syscall's argument names are data the kernel holds (<see cref="SyscallInfo.Args"/>: the fuzzer names its
/// targets' arguments with them): they must be the names docs/syscalls.md gives. Found by mutation testing
/// (docs/testing.md): no test read them, so an argument's name could be emptied unnoticed.
/// </summary>
public class SyscallArgumentTableTests
{
    private static readonly SyscallTable Table = new Kernel(new KernelConfig { Frames = 16 }).Syscalls;

    /// <summary>The rows of docs/syscalls.md's syscall table: number, name, and the argument names of its third column.</summary>
    private static List<(long Number, string Name, string[] Args)> DocumentedRows()
    {
        string doc = File.ReadAllText(Path.Combine(CExamples.RepoRoot, "docs", "syscalls.md"));
        string table = doc[doc.IndexOf("## The syscalls", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", StringComparison.Ordinal)];
        var rows = new List<(long, string, string[])>();
        foreach (string line in table.Split('\n').Skip(3))
        {
            // An escaped \| inside a cell is not a column separator (rpc_call's "method \| argc << 16").
            string[] cells = line.Replace("\\|", "", StringComparison.Ordinal).Split('|');
            // Explanations in parentheses hold commas of their own: drop them, then each argument is its first word.
            string args = cells[3];
            string previous;
            do
            {
                previous = args;
                args = Regex.Replace(args, @"\([^()]*\)", "");
            } while (args != previous);
            string[] names = args.Trim() == "—" ? [] : [.. args.Split(',').Select(a => Regex.Match(a, @"[a-z_][a-z_0-9]*").Value)];
            rows.Add((long.Parse(cells[1].Trim(), CultureInfo.InvariantCulture), cells[2].Trim(), names));
        }
        return rows;
    }

    [Fact]
    public void The_kernels_argument_names_are_the_documented_ones()
    {
        var rows = DocumentedRows();
        rows.Count.ShouldBe(Table.All.Count());
        var differences = new List<string>();
        foreach ((long number, string name, string[] documented) in rows)
        {
            SyscallInfo info = Table.Find(number)!;
            info.Name.ShouldBe(name);
            string kernel = string.Join(", ", info.Args.Select(a => a.Name)), doc = string.Join(", ", documented);
            if (kernel != doc) differences.Add($"{name}: the kernel says ({kernel}), docs/syscalls.md ({doc})");
        }
        differences.ShouldBeEmpty();
    }

    [Fact]
    public void The_doc_reader_sees_the_arguments_of_rows_with_explanations()
    {
        var rows = DocumentedRows();
        rows.Single(r => r.Name == "map").Args.ShouldBe(["addr", "length", "prot"]);
        rows.Single(r => r.Name == "rpc_call").Args.ShouldBe(["object", "method", "a0", "a1", "a2", "a3"]);
        rows.Single(r => r.Name == "yield").Args.ShouldBeEmpty();
    }
}
