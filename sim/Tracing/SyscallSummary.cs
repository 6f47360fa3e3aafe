using System.Globalization;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Tracing;

/// <summary>
/// <c>trace show -c</c>: strace's <c>-c</c> table, one row per syscall (share of the ticks, ticks in all, ticks per
/// call, calls, errors), the most expensive first, and a total row. A call's ticks run from its entry to its exit
/// (blocked time included: virtual time, not CPU time); calls that never returned count as calls with no ticks.
/// </summary>
internal static class SyscallSummary
{
    private sealed class Row
    {
        public long Calls, Errors, Ticks;
    }

    /// <summary>Writes the table for the syscall exits (and unfinished entries) of <paramref name="calls"/>.</summary>
    /// <param name="calls">Each call once: its exit event (or its entry when it never returned) and its ticks.</param>
    /// <param name="formatter">Names syscalls.</param>
    /// <param name="output">Where the table goes.</param>
    public static void Write(IEnumerable<(KernelEvent Call, long Ticks)> calls, EventFormatter formatter, TextWriter output)
    {
        var rows = new SortedDictionary<string, Row>(StringComparer.Ordinal);
        foreach ((KernelEvent e, long ticks) in calls)
        {
            string name = formatter.SyscallName(e.Code);
            if (!rows.TryGetValue(name, out Row? r)) rows[name] = r = new Row();
            r.Calls++;
            r.Ticks += ticks;
            if (e.Kind == EventKind.SyscallExit && e.Result < 0) r.Errors++;
        }
        long total = rows.Values.Sum(r => r.Ticks), calls2 = rows.Values.Sum(r => r.Calls), errors = rows.Values.Sum(r => r.Errors);
        string Pct(long t) => (total == 0 ? 0.0 : 100.0 * t / total).ToString("0.00", CultureInfo.InvariantCulture);
        string Per(Row r) => (r.Calls == 0 ? 0 : r.Ticks / r.Calls).ToString(CultureInfo.InvariantCulture);
        string Line(string pct, long ticks, string per, long n, long err, string name) =>
            string.Create(CultureInfo.InvariantCulture, $"{pct,6} {ticks,11} {per,11} {n,9} {(err == 0 ? "" : err.ToString(CultureInfo.InvariantCulture)),9} {name}");
        const string rule = "------ ----------- ----------- --------- --------- ----------------";
        output.WriteLine("% time       ticks  ticks/call     calls    errors syscall");
        output.WriteLine(rule);
        foreach ((string name, Row r) in rows.OrderByDescending(p => p.Value.Ticks).ThenByDescending(p => p.Value.Calls).ThenBy(p => p.Key, StringComparer.Ordinal))
            output.WriteLine(Line(Pct(r.Ticks), r.Ticks, Per(r), r.Calls, r.Errors, name));
        output.WriteLine(rule);
        output.WriteLine(Line("100.00", total, (calls2 == 0 ? 0 : total / calls2).ToString(CultureInfo.InvariantCulture), calls2, errors, "total"));
    }
}
