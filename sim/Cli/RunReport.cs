using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Tracing;
using Spectre.Console;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// The readable account of a run: the configuration, the events in order (strace-like), and a summary table.
/// Holds no wall-clock figure, so two runs of one scenario print the same bytes.
/// </summary>
internal sealed class RunReport(TextWriter output, bool showSwitches, bool dumpMaps)
{
    /// <summary>Prints the header before the run.</summary>
    public void Header(Scenario s)
    {
        KernelConfig c = s.Config;
        string protection = c.Protection == ProtectionModel.Paging ? $"x86-64 paging, TLB {c.TlbSize} entries" : $"{c.Protection} with {c.MpuRegions} regions";
        output.WriteLine($"MicroKernel: scenario '{s.Name}' ({s.Source})");
        output.WriteLine($"machine: {c.Frames} frames of 4 KiB ({c.Frames * 4} KiB), {protection}");
        output.WriteLine($"scheduler: {c.Policy}, quantum {c.Quantum} ticks, {c.AccessesPerTick} accesses per tick, seed {c.Seed}");
        output.WriteLine();
        output.WriteLine($"{"tick",7} {"who",-18} what");
    }

    /// <summary>A sink that prints events as they happen.</summary>
    public IEventSink Printer(Kernel kernel) => new PrintingSink(this, new EventFormatter(kernel.Syscalls));

    /// <summary>
    /// Prints on <paramref name="error"/> the .NET message of each exception that escaped a program: it is in the
    /// host's language, so it stays out of the account on stdout and out of the trace.
    /// </summary>
    public static void HostMessages(TextWriter error, RunResult result)
    {
        foreach (Process p in result.Processes)
            foreach (FaultRecord f in p.Faults)
                if (f.HostMessage is { } message) error.WriteLine($"fault: {f}; .NET message: {message}");
    }

    /// <summary>Prints the summary after the run.</summary>
    public void Summary(Kernel kernel, RunResult result)
    {
        output.WriteLine();
        IAnsiConsole console = PlainConsole.For(output, 100);
        var processes = new Table().Border(TableBorder.Ascii).Title("processes");
        foreach (string column in new[] { "pid", "name", "program", "status", "faults", "restarts" }) processes.AddColumn(column);
        foreach (Process p in result.Processes)
        {
            string faults = p.Faults.Count == 0 ? "-" : string.Join("; ", p.Faults.Select(f => $"{f.Reason} at 0x{f.Address:x}"));
            processes.AddRow(p.Pid.ToString(CultureInfo.InvariantCulture), Markup.Escape(p.Name), Markup.Escape(p.Image.Name), string.Create(CultureInfo.InvariantCulture, $"{p.State} ({p.ExitStatus})"), Markup.Escape(faults), p.Restarts.ToString(CultureInfo.InvariantCulture));
        }
        console.Write(processes);
        output.WriteLine($"run: {result.Outcome} at tick {result.Ticks}, {result.Switches} context switches");
        output.WriteLine($"frames: {kernel.Frames.FreeCount} free, {kernel.Frames.KernelCount} kernel, {kernel.Frames.UserCount} user of {kernel.Frames.TotalCount}");
        if (kernel.Config.Protection == ProtectionModel.Paging)
        {
            Hardware.Paging.Tlb tlb = kernel.Machine.Mmu.Tlb;
            output.WriteLine($"tlb: {tlb.Hits} hits ({tlb.LargeHits} by large pages), {tlb.Misses} misses, {tlb.Flushes} flushes ({tlb.GlobalKept} global entries kept)");
        }
        if (kernel.RpcStats is { Calls: > 0 } or { Refused: > 0 })
        {
            var rpc = kernel.RpcStats;
            output.WriteLine($"rpc: {rpc.Calls} calls ({rpc.GrantsBuilt} grants built, {rpc.GrantsReused} reused), {rpc.Refused} refused, {rpc.CalleeFaults} callee faults, depth up to {rpc.MaxDepth}, MPU regions per grant up to {rpc.MaxMpuRegions}");
        }
        if (kernel.NotifyStats is { Created: > 0 } n)
            output.WriteLine($"notifications: {n.Created} objects, {n.Notifies} notifies, {n.Waits} waits ({n.Blocked} blocked, {n.TimedOut} timed out), "
                + $"{n.ClosedWakes} woken by a close, {n.LockRecoveries} lock recoveries, count up to {n.MaxPending}, {kernel.LiveNotifications} left open");
        IReadOnlyList<string> problems = kernel.CheckInvariants();
        output.WriteLine(problems.Count == 0 ? $"invariants: all {kernel.Invariants.Count} hold (frame accounting, page tables, TLB, MPU, IPC; docs/faults.md)" : "invariants BROKEN:\n  " + string.Join("\n  ", problems));
        if (result.DeadlockReport is { } d) output.WriteLine(d);
        foreach (string r in result.HostReports) output.WriteLine(r);
        if (!result.Deterministic) output.WriteLine("determinism: NOT deterministic: the host watchdog fired, so this run depended on host time");
        if (result.Panic is { } panic) output.WriteLine($"KERNEL PANIC: {panic}");
        if (result.Outcome == RunOutcome.TickLimit)
            output.WriteLine($"warning: the run stopped at its tick limit (max-ticks {kernel.Config.MaxTicks}): a process still ran or waited "
                + "(an endless loop, or a wait for something that never comes); exit code 4 (docs/cli.md)");
    }

    /// <summary>Prints a line per expectation, met or not, with what the run showed (nothing when there are none).</summary>
    public void Expectations(Scenario s, IReadOnlyList<ExpectationResult> results)
    {
        if (results.Count == 0) return;
        output.WriteLine($"expectations: {results.Count(r => r.Met)} of {results.Count} met");
        foreach (ExpectationResult r in results)
            output.WriteLine($"  {(r.Met ? "met   " : "FAILED")} {s.Source}:{r.Expectation.Line}: {r.Expectation}: {r.Seen}");
    }

    private sealed class PrintingSink(RunReport report, EventFormatter formatter) : IEventSink
    {
        public void Emit(in KernelEvent e)
        {
            if (e.Kind is EventKind.SyscallEnter or EventKind.Upcall or EventKind.Notify || (e.Kind == EventKind.Switch && !report.ShowSwitches)) return;
            report.Output.WriteLine(formatter.Format(e));
        }
    }

    private TextWriter Output => output;

    private bool ShowSwitches => showSwitches;

    /// <summary>Prints the memory map of every live process (called by the dump syscall hook).</summary>
    public void DumpMaps(Process p)
    {
        if (!dumpMaps) return;
        output.WriteLine($"--- maps of pid {p.Pid} ({p.Name}) ---");
        output.Write(p.AddressSpace.DumpMaps());
        output.Write(p.AddressSpace.DumpHardware());
    }
}
