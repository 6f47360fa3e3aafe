using MicroKernel.Hardware;
using MicroKernel.Invariants;
using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// What failed in a run and where, in words that do not depend on the seed's details (no tick, address or event
/// number), so that a thousand runs failing the same way share one signature: the broken invariant or the panic site,
/// the unmet expectations, the faults of the processes they are about (reason, pid and the syscall before it), a
/// deadlock, the tick limit, an exception that escaped the simulator. Parts are joined by <c>"; "</c>.
/// </summary>
internal static class FailureSignature
{
    /// <summary>The signature of an ended run, or null when its oracle is satisfied.</summary>
    public static string? Of(RunResult result, IReadOnlyList<ExpectationResult> checks, RunObserver observer)
    {
        var parts = new List<string>();
        switch (result.Outcome)
        {
            case RunOutcome.Panic when result.Panic is { } panic:
                parts.Add(Panic(panic, observer));
                break;
            case RunOutcome.Deadlock:
                parts.Add("deadlock");
                break;
            case RunOutcome.TickLimit:
                parts.Add("tick limit");
                break;
        }
        // After a panic every process was killed: the expectations then say nothing more about the bug.
        if (result.Outcome != RunOutcome.Panic)
        {
            var about = new SortedSet<int>();
            foreach (ExpectationResult c in checks.Where(c => !c.Met))
            {
                parts.Add(c.Expectation.ToString());
                if (c.Expectation.AboutEveryProcess) foreach (Process p in result.Processes) about.Add(p.Pid);
                else if (c.Expectation.AboutProcess is { } name && result.Processes.FirstOrDefault(p => p.Name == name) is { } p) about.Add(p.Pid);
            }
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach ((int pid, int _, long reason, string? after, string detail) in observer.Faults)
            {
                if (!about.Contains(pid)) continue;
                string name = result.Processes.FirstOrDefault(p => p.Pid == pid)?.Name ?? "?";
                string what = (FaultReason)reason == FaultReason.UserException && detail.Split(' ')[0] is { Length: > 0 } type ? $"UserException {type[(type.LastIndexOf('.') + 1)..]}" : ((FaultReason)reason).ToString();
                string fault = string.Create(CultureInfo.InvariantCulture, $"pid {pid} ({name}) faulted {what}{(after is null ? "" : $" after {after}")}");
                if (seen.Add(fault)) parts.Add(fault);
            }
        }
        return parts.Count == 0 ? null : string.Join("; ", parts);
    }

    /// <summary>The signature of a run whose simulator threw (a bug outside the kernel's panic handling).</summary>
    public static string HostException(Exception e) => $"host exception {e.GetType().Name} in {Site(e)}";

    private static string Panic(PanicReport panic, RunObserver observer)
    {
        string where = panic.Tid == 0 ? "" : string.Create(CultureInfo.InvariantCulture, $" in pid {panic.Pid}{(observer.LastSyscallOf(panic.Tid) is { } s ? $" after {s}" : "")}");
        return panic.Exception is InvariantViolationException v
            ? $"panic: invariant {v.Invariant} broken{where}"
            : $"panic: {panic.Exception.GetType().Name} in {Site(panic.Exception)}{where}";
    }

    // Where an exception was thrown: the declaring type and method (the same on every machine, unlike line numbers).
    private static string Site(Exception e) => e.TargetSite is { } m ? $"{m.DeclaringType?.Name ?? "?"}.{m.Name}" : "an unknown method";
}
