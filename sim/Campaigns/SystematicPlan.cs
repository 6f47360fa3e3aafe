using MicroKernel.Faults;
using MicroKernel.Syscalls;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// Fail-nth over a whole run (<c>--systematic</c>), from one baseline run of the seed: the kth call of each syscall
/// name gets each error that syscall documents (<see cref="SyscallInfo.Errors"/>), and every frame allocation request
/// made after boot fails once; one run each. Requests made while spawning the scenario's processes are left out: a
/// refused spawn stops the scenario before it starts (docs/faults.md).
/// </summary>
public static class SystematicPlan
{
    /// <summary>The single-fault rules to try, in a fixed order: syscalls by number, k, error; then frame requests.</summary>
    public static IReadOnlyList<FaultRule> From(RunVerdict baseline)
    {
        var rules = new List<FaultRule>();
        foreach ((SyscallInfo syscall, long calls) in baseline.SyscallCounts)
            for (long k = 1; k <= calls; k++)
                foreach (ErrorCode error in syscall.Errors)
                    rules.Add(new SyscallFaultRule(syscall.Name, k, error));
        for (long n = baseline.BootFrameRequests + 1; n <= baseline.FrameRequests; n++) rules.Add(new FramesFaultRule(n));
        return rules;
    }
}
