using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;

namespace MicroKernel.Faults;

/// <summary>
/// The kernel side of a <see cref="FaultPlan"/> (docs/faults.md): the kernel asks it at each injection point (a
/// syscall's entry, a frame allocation, a scheduling point, a page-send delivery, a TLB invalidation) whether a rule
/// fires there, and it records every injection as an <see cref="EventKind.Inject"/> event. With no rules,
/// <see cref="Active"/> is false and every point costs one predictable branch on that field.
/// </summary>
/// <remarks>
/// What each rule does to the kernel (the Inject event's text in parentheses):
/// <list type="bullet">
/// <item><c>syscall</c>: counts the calls of NAME (of the process P: calls made while a thread acts for P, RPC callees
/// included); the Nth returns ERROR without running its handler, so nothing changes (<c>syscall map #2 -> OutOfMemory</c>,
/// <c>syscall map #2 of pid 3 -> ...</c>). Unknown syscall numbers are not counted.</item>
/// <item><c>frames</c>: counts allocation requests (one per allocator call, however many frames; spawns count too);
/// requests N..N+K-1 fail as if memory were exhausted, and the kernel path that asked undoes its work and reports
/// OutOfMemory (a map, a spawn, a send; a delivery that cannot map its pages is not delivered); a copy-on-write break
/// that cannot copy faults the writer (<c>frames #7 -> refused</c>).</item>
/// <item><c>kill</c>: at the first scheduling point at or after tick T, or at the process's Nth syscall (before that
/// call runs; it never returns), the process ends with status 137 as any kill: memory freed, IPC released
/// (<c>kill pid 2 at tick 40</c>, <c>kill pid 2 at its syscall #3 (map)</c>; an ended process: <c>... nothing killed</c>).</item>
/// <item><c>crash</c>: at the first scheduling point at or after T, a thread of the process (the running one if it acts
/// for it, else its lowest live tid) faults with <see cref="FaultReason.Injected"/> (exit status 141; 140 is Runaway): its fault policy
/// kills or restarts it (<c>crash pid 2 tid 2 at tick 15</c>).</item>
/// <item><c>preempt</c>: at the first scheduling point at or after T, the running thread is switched away (the switch's
/// reason is <c>injected preempt</c>; alone, it runs on) (<c>preempt tid 1 at tick 2</c>).</item>
/// <item><c>flip</c>: at the first scheduling point at or after T, bit B of the physical byte that A maps to is flipped.
/// The frame is found through the space's books, not by a page walk, so no Accessed/Dirty bit changes and no TLB entry
/// is filled; a memory error is physical, so every space sharing the frame (copy-on-write, shared pages) sees it, and
/// no copy-on-write is broken. Unmapped A: <c>...: not mapped, nothing flipped</c>.</item>
/// <item><c>delay</c>: the Nth page-send delivery (a message reaching the head of its receiver's queue) waits K ticks,
/// and the queue behind it too (it stays FIFO); then its receiver is kicked to run the handler, and an idle CPU jumps
/// to that time (<c>delay delivery #1 (type 7 from pid 2) by 50 ticks</c>).</item>
/// <item><c>kernel-bug name=skip-tlb-flush</c>: the kernel's Nth single-page TLB invalidation (invlpg after an unmap,
/// protect, page send or copy-on-write break, counted by <see cref="Hardware.Paging.Tlb.Invalidations"/>) is skipped:
/// the TLB keeps a stale translation, which may reach a freed frame (<c>kernel-bug skip-tlb-flush #3: ...</c>).</item>
/// <item><c>random</c>: at every opportunity of its kinds (each syscall with documented errors, each frame request,
/// each scheduling point, each delivery) it draws from its own SplitMix64 seeded from the run's seed, so a plan never
/// shifts the scheduler's random choices; several random rules draw in plan order. A syscall gets an error drawn from
/// <see cref="SyscallInfo.Errors"/>; a delay lasts 1-16 ticks (<c>random: ...</c>).</item>
/// </list>
/// </remarks>
internal sealed partial class FaultInjector
{
    private readonly Kernel? _kernel;
    // An array, not the plan's IReadOnlyList: the syscall path walks it on every call while a syscall rule is set.
    private readonly FaultRule[] _rules;
    // One counter per rule: how many of its opportunities (matching calls, allocations, ...) it has seen so far.
    private readonly long[] _seen;
    private readonly bool[] _fired;
    // Its own stream, seeded from the run's seed: a plan never shifts the scheduler's random choices.
    private readonly SplitMix64 _random;
    private readonly List<(int Index, RandomFaultRule Rule)> _randomRules = [];
    private readonly FaultKinds _randomKinds;
    private long _frameAllocations;

    /// <summary>Builds the injector of <paramref name="plan"/> for <paramref name="kernel"/> (null: no events, for bare memory tests).</summary>
    public FaultInjector(FaultPlan plan, ulong seed, Kernel? kernel)
    {
        _kernel = kernel;
        _rules = [.. plan.Rules];
        _seen = new long[_rules.Length];
        _fired = new bool[_rules.Length];
        _random = new SplitMix64(seed ^ 0xFA01_7FA0_17FA_017FUL);
        Active = _rules.Length > 0;
        for (int i = 0; i < _rules.Length; i++)
        {
            switch (_rules[i])
            {
                case FramesFaultRule:
                    HasFrameRules = true;
                    break;
                case SyscallFaultRule or KillFaultRule { SyscallNth: not null }:
                    HasSyscallRules = true;
                    break;
                case KernelBugFaultRule { Name: KernelBugNames.SkipTlbFlush }:
                    HasTlbRules = true;
                    break;
                case RandomFaultRule r:
                    _randomRules.Add((i, r));
                    _randomKinds |= r.Kinds;
                    HasFrameRules |= (r.Kinds & FaultKinds.Frames) != 0;
                    HasSyscallRules |= (r.Kinds & FaultKinds.Syscall) != 0;
                    break;
            }
        }
        RecomputeNextDue();
    }

    /// <summary>True when the plan has rules: the kernel's injection points consult the injector only then.</summary>
    public bool Active { get; }

    /// <summary>True when a rule may refuse frame allocations (the allocator asks only then).</summary>
    public bool HasFrameRules { get; }

    /// <summary>True when some rule looks at syscalls (syscall, kill at a syscall, random over syscalls): only then does the syscall path consult the injector.</summary>
    public bool HasSyscallRules { get; }

    /// <summary>True when a rule may skip a TLB invalidation (the TLB asks only then).</summary>
    public bool HasTlbRules { get; }

    /// <summary>
    /// The earliest virtual time at which a scheduling point has something to do (a tick rule, a held delivery, a
    /// random preemption); <see cref="long.MaxValue"/> when nothing. The scheduler compares <c>Now</c> against it.
    /// </summary>
    public long NextDue { get; private set; } = long.MaxValue;

    private bool RandomHas(FaultKinds kind) => (_randomKinds & kind) != 0;

    // An opportunity of `kind`: each random rule that covers it draws, in plan order, from the injector's stream (a
    // uniform number in [0, 1) against its probability). Returns the index of the rule that fires, or -1.
    private int RandomFires(FaultKinds kind)
    {
        foreach ((int index, RandomFaultRule rule) in _randomRules)
            if ((rule.Kinds & kind) != 0 && (_random.Next() >> 11) * (1.0 / (1UL << 53)) < rule.Probability)
                return index;
        return -1;
    }

    private long Now => _kernel?.Scheduler.Now ?? 0;

    /// <summary>Records an injection: an Inject event with the rule's index and the kernel's words for what it did.</summary>
    private void Record(int rule, int pid, int tid, string text)
    {
        Injections++;
        _kernel?.Machine.Memory.Changes.Mark(Invariants.CheckedState.All); // an injection may change anything
        _kernel?.Emit(new KernelEvent { Kind = EventKind.Inject, Code = rule, Pid = pid, Tid = tid, Text = text });
    }

    /// <summary>Injections so far (for tests and summaries).</summary>
    public long Injections { get; private set; }

    private (int Pid, int Tid) Running()
    {
        SimThread? t = _kernel?.Scheduler.Current;
        return t is null ? (0, 0) : (t.Process.Pid, t.Tid);
    }

    // ---------------------------------------------------------------- syscalls

    /// <summary>
    /// A syscall's entry, before its handler runs. True when a rule refuses the call: <paramref name="error"/> is then
    /// what it returns, and the handler must not run (the call changes nothing). A <c>kill ... syscall=N</c> rule ends
    /// the caller's process here instead (this method then throws <see cref="ThreadTerminatedException"/>).
    /// </summary>
    public bool OnSyscall(SimThread caller, long number, SyscallInfo? info, out ErrorCode error)
    {
        error = ErrorCode.Ok;
        if (info is null) return false;
        int pid = caller.Process.Pid;
        // Every matching rule counts this call, even when an earlier rule fires at it: the Nth call of NAME is the Nth
        // call of the run whatever other rules do (two rules on one syscall each fire at their own N).
        int firing = -1;
        for (int i = 0; i < _rules.Length; i++)
        {
            switch (_rules[i])
            {
                case SyscallFaultRule r when r.Name == info.Name && (r.Pid is null || r.Pid == pid):
                    if (++_seen[i] == r.Nth && firing < 0) firing = i;
                    break;
                case KillFaultRule { SyscallNth: { } nth } k when k.Pid == pid:
                    if (++_seen[i] == nth && firing < 0) firing = i;
                    break;
            }
        }
        switch (firing >= 0 ? _rules[firing] : null)
        {
            case SyscallFaultRule r:
                error = r.Error;
                Record(firing, pid, caller.Tid, string.Create(CultureInfo.InvariantCulture, $"syscall {info.Name} #{r.Nth}{(r.Pid is { } p ? $" of pid {p}" : "")} -> {r.Error}"));
                return true;
            case KillFaultRule k:
                Record(firing, pid, caller.Tid, string.Create(CultureInfo.InvariantCulture, $"kill pid {pid} at its syscall #{k.SyscallNth} ({info.Name})"));
                _kernel!.KillByFaultRule(caller.Process);
                throw caller.Terminating();
        }
        if (RandomHas(FaultKinds.Syscall) && info.Errors.Count > 0 && RandomFires(FaultKinds.Syscall) is >= 0 and int fired)
        {
            error = info.Errors[_random.NextInt(info.Errors.Count)];
            Record(fired, pid, caller.Tid, string.Create(CultureInfo.InvariantCulture, $"random: syscall {info.Name} -> {error}"));
            return true;
        }
        return false;
    }

    // ---------------------------------------------------------------- frames

    /// <summary>
    /// A frame allocation request (one call of the allocator, however many frames it asks for). True when a
    /// <c>frames</c> rule (or <c>random</c>) refuses it: the allocator then fails as if memory were exhausted.
    /// </summary>
    public bool RefuseFrameAllocation()
    {
        long n = ++_frameAllocations;
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_rules[i] is FramesFaultRule r && n >= r.Nth && n < r.Nth + r.Count)
            {
                (int pid, int tid) = Running();
                Record(i, pid, tid, string.Create(CultureInfo.InvariantCulture, $"frames #{n} -> refused"));
                return true;
            }
        }
        if (RandomHas(FaultKinds.Frames) && RandomFires(FaultKinds.Frames) is >= 0 and int fired)
        {
            (int pid, int tid) = Running();
            Record(fired, pid, tid, string.Create(CultureInfo.InvariantCulture, $"random: frames #{n} -> refused"));
            return true;
        }
        return false;
    }

    /// <summary>Frame allocation requests seen so far (counted only while the allocator asks, i.e. with a frames rule).</summary>
    public long FrameRequests => _frameAllocations;

    // ---------------------------------------------------------------- TLB

    /// <summary>
    /// The kernel is about to invalidate the TLB entry of <paramref name="virtualAddress"/> (its
    /// <paramref name="nth"/> invalidation of the run). True when a <c>kernel-bug name=skip-tlb-flush</c> rule makes
    /// the kernel forget it: the TLB then keeps a stale translation.
    /// </summary>
    public bool SkipTlbInvalidation(long nth, ulong virtualAddress)
    {
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_rules[i] is KernelBugFaultRule { Name: KernelBugNames.SkipTlbFlush } r && r.Nth == nth)
            {
                (int pid, int tid) = Running();
                Record(i, pid, tid, string.Create(CultureInfo.InvariantCulture, $"kernel-bug skip-tlb-flush #{nth}: invalidation of 0x{virtualAddress:x} skipped"));
                return true;
            }
        }
        return false;
    }
}
