using MicroKernel.Syscalls;
using Spectre.Console;

namespace MicroKernel.Sim.Fuzz;

/// <summary>
/// Prints a fuzz run: the syscall x result table (which documented errors were reached, which never were) and the
/// outcome, or the failure with the line that reproduces it. Nothing here depends on the host or the clock, so one
/// set of options prints the same bytes; the speed goes to the error stream.
/// </summary>
internal static class FuzzReport
{
    /// <summary>Prints the table and the outcome on <paramref name="output"/>; a failure's long report on <paramref name="error"/>.</summary>
    public static void Print(TextWriter output, TextWriter error, FuzzOptions options, FuzzResult result, bool terminal)
    {
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"mk fuzz: seed {options.Seed}, {options.Processes} processes, {options.Protection}, invariants checked after every syscall{(options.FromTrace is null ? "" : $", mutating the syscalls of {options.FromTrace}")}"));
        // Colour on a terminal only (Spectre honours NO_COLOR there); elsewhere plain text, the same bytes every time.
        IAnsiConsole console = terminal
            ? Cli.PlainConsole.ForTerminal(output, 160)
            : Cli.PlainConsole.For(output, 160);
        console.Profile.Width = 160;
        console.Write(Table(result.Tally, terminal));
        var (reached, documented) = Coverage(result.Tally);
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"coverage: {reached} of {documented} documented (syscall, error) pairs reached; {result.Syscalls} syscalls in {result.Kernels} kernels ({result.Deadlocks} ended in a deadlock), {result.Restarts} restarts of faulted fuzz processes"));
        if (result.Failure is not { } f)
        {
            output.WriteLine("result: no invariant violation, no kernel panic, no undocumented error, no host exception");
            return;
        }
        string what = f.Kind switch
        {
            FuzzFailureKind.Panic => "KERNEL PANIC",
            FuzzFailureKind.UndocumentedError => "UNDOCUMENTED ERROR",
            _ => "HOST EXCEPTION",
        };
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"FAILURE: {what} at syscall #{f.Index} (seed {options.Seed}, kernel {f.Round}, {f.Syscall})"));
        output.WriteLine($"  {f.Detail}");
        output.WriteLine($"reproduce: {options.CommandLine}");
        if (f.Report is { } report) error.WriteLine(report);
    }

    /// <summary>The table: a row per syscall, its calls, successes, the errors reached with counts, the documented ones never reached.</summary>
    public static Table Table(SyscallTally tally, bool terminal = false)
    {
        var table = new Table().Border(terminal ? TableBorder.Rounded : TableBorder.Ascii).Title("syscall x result");
        foreach (string column in new[] { "nr", "syscall", "calls", "ok", "errors reached", "documented, never reached" }) table.AddColumn(column);
        foreach (long c in new long[] { 0, 2, 3 }) table.Columns[(int)c].RightAligned();
        foreach ((long number, SyscallTally.Row row) in tally.Rows)
        {
            string reached = row.Errors.Count == 0 ? "-" : string.Join(", ", row.Errors.Select(e => string.Create(CultureInfo.InvariantCulture, $"{e.Key} {e.Value}")));
            ErrorCode[] never = [.. row.Documented.Where(e => !row.Errors.ContainsKey(e))];
            table.AddRow(number == SyscallTally.Unknown ? "?" : number.ToString(CultureInfo.InvariantCulture), Markup.Escape(row.Name),
                row.Calls.ToString(CultureInfo.InvariantCulture), row.Ok.ToString(CultureInfo.InvariantCulture),
                Markup.Escape(reached), never.Length == 0 ? "-" : Markup.Escape(string.Join(", ", never)));
        }
        return table;
    }

    /// <summary>(syscall, documented error) pairs reached, of all of them.</summary>
    public static (int Reached, int Documented) Coverage(SyscallTally tally) =>
        (tally.Rows.Values.Sum(r => r.Errors.Count), tally.Rows.Values.Sum(r => r.Documented.Count));
}
