using MicroKernel.Syscalls;

namespace MicroKernel.Sim.Fuzz;

/// <summary>
/// Syscall x result over a whole fuzz run: how often each syscall was issued, how often it succeeded, and how often
/// it returned each error, against the errors its documentation lists (<see cref="SyscallInfo.Errors"/>). Numbers no
/// syscall has are counted in one row of their own, whose only documented error is UnknownSyscall.
/// </summary>
internal sealed class SyscallTally
{
    /// <summary>The row of numbers that are not syscalls.</summary>
    public const long Unknown = -1;

    private readonly SortedDictionary<long, Row> _rows = [];

    /// <summary>One syscall's counts.</summary>
    public sealed class Row(string name, IReadOnlyList<ErrorCode> documented)
    {
        /// <summary>The syscall's name.</summary>
        public string Name { get; } = name;

        /// <summary>The errors its documentation lists.</summary>
        public IReadOnlyList<ErrorCode> Documented { get; } = documented;

        /// <summary>Times it was issued.</summary>
        public long Calls { get; set; }

        /// <summary>Times it returned a non-error result.</summary>
        public long Ok { get; set; }

        /// <summary>Times it returned each error, by error.</summary>
        public SortedDictionary<ErrorCode, long> Errors { get; } = new(Comparer<ErrorCode>.Create((a, b) => b.CompareTo(a)));
    }

    /// <summary>The rows by syscall number (<see cref="Unknown"/> first when present).</summary>
    public IReadOnlyDictionary<long, Row> Rows => _rows;

    /// <summary>Makes sure every syscall of <paramref name="table"/> has a row, issued or not.</summary>
    public void Know(SyscallTable table)
    {
        foreach (SyscallInfo info in table.All)
            if (!_rows.ContainsKey(info.Number)) _rows[info.Number] = new Row(info.Name, info.Errors);
    }

    /// <summary>The row a syscall number counts in.</summary>
    public Row RowOf(SyscallTable table, long number)
    {
        SyscallInfo? info = table.Find(number);
        long key = info is null ? Unknown : number;
        if (!_rows.TryGetValue(key, out Row? row))
            _rows[key] = row = info is null ? new Row("(not a syscall)", [ErrorCode.UnknownSyscall]) : new Row(info.Name, info.Errors);
        return row;
    }

    /// <summary>
    /// Counts one result. Returns false when it is an error the syscall does not document: a kernel bug. thread_join
    /// returns the joined thread's exit code, which may be any number, so its undocumented negatives are counted as
    /// successes.
    /// </summary>
    public static bool Result(Row row, long result)
    {
        bool isError = result is < 0 and >= -4095;
        if (isError && Enum.IsDefined((ErrorCode)result) && row.Documented.Contains((ErrorCode)result))
        {
            ErrorCode e = (ErrorCode)result;
            row.Errors[e] = row.Errors.GetValueOrDefault(e) + 1;
            return true;
        }
        if (isError && row.Name != "thread_join") return false;
        row.Ok++;
        return true;
    }
}
