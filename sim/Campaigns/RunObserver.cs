using MicroKernel.Faults;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Campaigns;

/// <summary>
/// The event sink of one campaign run: it keeps what the run's oracle and the campaign need, and nothing else. Each
/// process's console (for <c>expect ... prints=</c>), how many times each syscall was entered (the baseline of
/// <c>--systematic</c>), the last syscall of each thread (where a fault or panic happened), the faults, and every
/// injection turned into a fixed rule that makes the same injection again (what shrinking works on).
/// </summary>
internal sealed class RunObserver(IReadOnlyList<FaultRule> plan, int firstCampaignRule) : IEventSink
{
    /// <summary>The booted kernel's syscall table (names for numbers); set once the kernel exists.</summary>
    public SyscallTable? Syscalls { get; set; }

    private readonly long[] _calls = new long[SyscallTable.Capacity];
    private readonly Dictionary<int, long> _lastSyscall = [];
    private readonly List<FaultRule> _injected = [];
    private readonly HashSet<int> _fixedRulesSeen = [];

    /// <summary>Checks the scenario's expectations after the run (it keeps each process's console).</summary>
    public ExpectationChecker Expectations { get; } = new();

    /// <summary>The faults of the run, in order, each with the name of the last syscall its thread made (or null).</summary>
    public List<(int Pid, int Tid, long Reason, string? AfterSyscall, string Detail)> Faults { get; } = [];

    /// <summary>
    /// The injections made by the campaign's own rules (not the scenario's <c>fault</c> lines), in order, each as a
    /// fixed rule that injects it again: a fixed rule stands for itself once; a <c>random</c> injection becomes the
    /// syscall, frames, preempt or delay rule that hits the same point. Null when one could not be translated.
    /// </summary>
    public IReadOnlyList<FaultRule>? Injected => _untranslatable ? null : _injected;

    private bool _untranslatable;

    /// <inheritdoc />
    public void Emit(in KernelEvent e)
    {
        switch (e.Kind)
        {
            case EventKind.Console:
                Expectations.Emit(e);
                break;
            case EventKind.SyscallEnter:
                if ((ulong)e.Code < SyscallTable.Capacity) _calls[e.Code]++;
                _lastSyscall[e.Tid] = e.Code;
                break;
            case EventKind.Fault:
                Faults.Add((e.Pid, e.Tid, e.Code, LastSyscallOf(e.Tid), e.Text ?? ""));
                break;
            case EventKind.Inject:
                Injection(e);
                break;
        }
    }

    /// <summary>The name of the last syscall thread <paramref name="tid"/> entered, or null when it made none.</summary>
    public string? LastSyscallOf(int tid) =>
        _lastSyscall.TryGetValue(tid, out long number) ? Syscalls?.Find(number)?.Name ?? number.ToString(CultureInfo.InvariantCulture) : null;

    /// <summary>How many times each syscall was entered in the run, in syscall-number order (only those entered).</summary>
    public IReadOnlyList<(SyscallInfo Syscall, long Calls)> SyscallCounts() =>
        (Syscalls?.All ?? []).Where(s => _calls[s.Number] > 0).Select(s => (s, _calls[s.Number])).ToList();

    private void Injection(in KernelEvent e)
    {
        int index = (int)e.Code;
        if (index < firstCampaignRule || index >= plan.Count) return;
        FaultRule rule = plan[index];
        if (rule is not RandomFaultRule)
        {
            if (_fixedRulesSeen.Add(index)) _injected.Add(rule);
            return;
        }
        string? syscall = LastSyscallOf(e.Tid);
        long nth = _lastSyscall.TryGetValue(e.Tid, out long number) && (ulong)number < SyscallTable.Capacity ? _calls[number] : 0;
        if (InjectionRule.FromRandom(e.Text ?? "", syscall, nth) is { } fixedRule) _injected.Add(fixedRule);
        else _untranslatable = true;
    }
}
