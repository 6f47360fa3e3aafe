using System.Text.RegularExpressions;
using MicroKernel.Memory;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// Each syscall's documented errors are data the kernel holds (<see cref="SyscallInfo.Errors"/>): the table must say
/// what docs/syscalls.md says, and what the handlers really return must be in it.
/// </summary>
public class SyscallErrorTableTests
{
    private static readonly SyscallTable Table = new Kernel(new KernelConfig { Frames = 16 }).Syscalls;

    /// <summary>The rows of docs/syscalls.md's syscall table: number, name, and the error names of its last column.</summary>
    private static List<(long Number, string Name, HashSet<string> Errors)> DocumentedRows()
    {
        string doc = File.ReadAllText(Path.Combine(CExamples.RepoRoot, "docs", "syscalls.md"));
        string table = doc[doc.IndexOf("## The syscalls", StringComparison.Ordinal)..];
        table = table[..table.IndexOf("\n\n", StringComparison.Ordinal)];
        var rows = new List<(long, string, HashSet<string>)>();
        foreach (string line in table.Split('\n').Skip(3))
        {
            // An escaped \| inside a cell is not a column separator.
            string[] cells = line.Replace("\\|", "", StringComparison.Ordinal).Split('|');
            cells.Length.ShouldBe(7, $"a row of five columns: {line}");
            string errors = cells[5];
            // Explanations in parentheses (and link targets) mention other words; the error names are what is left.
            string previous;
            do
            {
                previous = errors;
                errors = Regex.Replace(errors, @"\([^()]*\)", "");
            } while (errors != previous);
            errors = Regex.Replace(errors, @"\[[^\]]*\]", "").Replace("`ticks`", "", StringComparison.Ordinal);
            HashSet<string> names = [.. Regex.Matches(errors, @"\b[A-Z][A-Za-z]+\b").Select(m => m.Value)];
            rows.Add((long.Parse(cells[1].Trim(), CultureInfo.InvariantCulture), cells[2].Trim(), names));
        }
        return rows;
    }

    [Fact]
    public void The_kernels_error_table_is_the_documented_one()
    {
        var rows = DocumentedRows();
        rows.Select(r => (r.Number, r.Name)).ShouldBe(Table.All.Select(s => (s.Number, s.Name)), "docs/syscalls.md lists every syscall once, in number order");
        foreach ((long number, string name, HashSet<string> documented) in rows)
        {
            foreach (string e in documented) Enum.IsDefined(typeof(ErrorCode), e).ShouldBeTrue($"docs/syscalls.md: {name} lists '{e}', which is no ErrorCode");
            SyscallInfo info = Table.Find(number)!;
            info.Errors.Select(e => e.ToString()).Order(StringComparer.Ordinal)
                .ShouldBe(documented.Order(StringComparer.Ordinal), $"{name}: the kernel's table (left) against docs/syscalls.md (right)");
            info.Errors.Distinct().Count().ShouldBe(info.Errors.Count, $"{name} lists an error twice");
            info.Errors.ShouldNotContain(ErrorCode.Ok);
        }
    }

    [Fact]
    public void The_doc_reader_sees_the_errors_of_a_complicated_row()
    {
        var send = DocumentedRows().Single(r => r.Name == "send").Errors;
        send.ShouldContain("QueueFull");
        send.ShouldNotContain("Errors");
        DocumentedRows().Single(r => r.Name == "pause").Errors.ShouldBe(["TimedOut", "InvalidArgument", "NotPermitted"], ignoreOrder: true);
        DocumentedRows().Single(r => r.Name == "getpid").Errors.ShouldBeEmpty();
    }

    // Random arguments to every syscall that returns: each error that comes back must be one the table lists.
    [Theory]
    [InlineData(ProtectionModel.Paging, 1UL)]
    [InlineData(ProtectionModel.Paging, 2UL)]
    [InlineData(ProtectionModel.ArmV7Mpu, 3UL)]
    [InlineData(ProtectionModel.ArmV8Mpu, 4UL)]
    public void Random_arguments_return_only_documented_errors(ProtectionModel model, ulong seed)
    {
        var k = TestKernels.Boot(model, PolicyKind.Random, seed, frames: 1024);
        // Calls that never return (exit, thread_exit) or could block for good are left out or given short timeouts.
        SyscallInfo[] calls = [.. k.Syscalls.All.Where(s => s.Name is not ("exit" or "thread_exit"))];
        var results = new List<(string Name, long Result)>();
        for (int p = 0; p < 2; p++)
        {
            int me = p;
            k.Spawn($"sweep{p}", sys =>
            {
                var rng = new TestRandom(seed * 7 + (ulong)me);
                ulong page = sys.Map(4096);
                ulong[] interesting = [0, 1, 2, 3, 4, 5, 16, 31, 32, 33, 64, 4096, page, page + 4090, ulong.MaxValue, 1UL << 32, 3UL << 16,
                    0x7F00_0000_0000, 0xFFFF_8000_0000_0000, 0x1000_0000, (ulong)rng.Next()];
                ulong Arg() => rng.Next(3) == 0 ? (ulong)rng.Next(0, 8) : interesting[rng.Next(interesting.Length)];
                for (int i = 0; i < 400; i++)
                {
                    SyscallInfo s = calls[rng.Next(calls.Length)];
                    ulong[] a = [Arg(), Arg(), Arg(), Arg(), Arg(), Arg()];
                    for (int j = 0; j < s.Args.Count; j++)
                        if (s.Args[j].Name is "ticks" or "timeout") a[j] = (ulong)rng.Next(1, 4) * (rng.Next(8) == 0 ? 1UL << 41 : 1);
                    long r = sys.Syscall((SyscallNumber)s.Number, a[0], a[1], a[2], a[3], a[4], a[5]);
                    lock (results) results.Add((s.Name, r));
                }
                return 0;
            });
        }
        RunResult run = k.Run();
        run.Outcome.ShouldBe(RunOutcome.Completed);
        run.Panic.ShouldBeNull();
        results.Count.ShouldBe(800);
        foreach ((string name, long result) in results.Where(r => r.Result < 0))
        {
            SyscallInfo info = Table.All.Single(s => s.Name == name);
            // thread_join returns a thread's exit code, which may be negative; every other negative result is an error.
            if (name == "thread_join" && !Enum.IsDefined((ErrorCode)result)) continue;
            info.Errors.ShouldContain((ErrorCode)result, $"{name} returned {(ErrorCode)result}, which its table does not list");
        }
        results.Count(r => r.Result < 0).ShouldBeGreaterThan(100, "the sweep reaches the error paths");
    }
}
