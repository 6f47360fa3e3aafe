using MicroKernel.Syscalls;

namespace MicroKernel.Faults;

/// <summary>
/// One rule of a <see cref="FaultPlan"/> (docs/faults.md): where and when the kernel injects a fault. Every rule has
/// one text form, <c>kind key=value ...</c>, the same in a scenario's <c>fault</c> directive, in <c>--fault</c> and in a
/// trace header; <see cref="Text"/> gives it back so that parsing it again yields an equal rule.
/// </summary>
public abstract record FaultRule
{
    /// <summary>The rule's kind as written first in its text ("syscall", "frames", ...).</summary>
    public abstract string Kind { get; }

    /// <summary>The canonical text of the rule (kind, then its fields in a fixed order).</summary>
    public abstract string Text { get; }

    /// <inheritdoc />
    public sealed override string ToString() => Text;

    /// <summary>
    /// Reads a rule from its text (<see cref="FaultRuleParser"/>); a malformed one is refused with a
    /// <see cref="FaultRuleException"/> naming the field. <c>Parse(rule.Text)</c> equals <c>rule</c>.
    /// </summary>
    public static FaultRule Parse(string text) => FaultRuleParser.Parse(text);
}

/// <summary>
/// <c>syscall name=NAME nth=N error=ERROR [pid=P]</c>: the Nth call of syscall <paramref name="Name"/> in the run (or of
/// process <paramref name="Pid"/>) returns <paramref name="Error"/> and changes nothing, as if the kernel had refused it.
/// </summary>
public sealed record SyscallFaultRule(string Name, long Nth, ErrorCode Error, int? Pid = null) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "syscall";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"syscall name={Name} nth={Nth} error={Error}{(Pid is { } p ? $" pid={p}" : "")}");
}

/// <summary><c>frames nth=N [count=K]</c>: the Nth frame allocation of the run and the K-1 after it fail.</summary>
public sealed record FramesFaultRule(long Nth, long Count = 1) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "frames";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"frames nth={Nth}{(Count != 1 ? $" count={Count}" : "")}");
}

/// <summary>
/// <c>kill pid=P tick=T</c> or <c>kill pid=P syscall=N</c>: the process is killed (status 137, "killed by fault rule")
/// at tick <paramref name="Tick"/> or at its Nth syscall (<paramref name="SyscallNth"/>); exactly one of the two is set.
/// </summary>
public sealed record KillFaultRule(int Pid, long? Tick, long? SyscallNth) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "kill";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"kill pid={Pid}{(Tick is { } t ? $" tick={t}" : $" syscall={SyscallNth}")}");
}

/// <summary><c>crash pid=P tick=T</c>: the process faults (reason Injected) at tick T, so its fault policy runs.</summary>
public sealed record CrashFaultRule(int Pid, long Tick) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "crash";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"crash pid={Pid} tick={Tick}");
}

/// <summary><c>preempt tick=T</c>: a context switch is forced at tick T.</summary>
public sealed record PreemptFaultRule(long Tick) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "preempt";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"preempt tick={Tick}");
}

/// <summary>
/// <c>flip pid=P addr=A bit=B tick=T</c>: bit B (0-7) of the byte at virtual address A of the process is flipped at
/// tick T (a memory error); A must be mapped then.
/// </summary>
public sealed record FlipFaultRule(int Pid, ulong Address, int Bit, long Tick) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "flip";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"flip pid={Pid} addr=0x{Address:x} bit={Bit} tick={Tick}");
}

/// <summary><c>delay nth=N ticks=K</c>: the Nth page-send delivery (handler upcall) is held back K ticks.</summary>
public sealed record DelayFaultRule(long Nth, long Ticks) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "delay";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"delay nth={Nth} ticks={Ticks}");
}

/// <summary>
/// <c>kernel-bug name=skip-tlb-flush nth=N</c>: the kernel "forgets" its Nth TLB invalidation (a teaching fault that
/// the TLB-coherence invariant must catch). <see cref="KernelBugNames"/> lists the known names.
/// </summary>
public sealed record KernelBugFaultRule(string Name, long Nth) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "kernel-bug";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"kernel-bug name={Name} nth={Nth}");
}

/// <summary>The kernel bugs a <see cref="KernelBugFaultRule"/> can name.</summary>
public static class KernelBugNames
{
    /// <summary>The kernel skips one TLB invalidation (after an unmap or protect).</summary>
    public const string SkipTlbFlush = "skip-tlb-flush";
}

/// <summary>The opportunities a <see cref="RandomFaultRule"/> may inject at.</summary>
[Flags]
public enum FaultKinds
{
    /// <summary>None.</summary>
    None = 0,
    /// <summary>Every syscall (an error drawn from that syscall's documented errors).</summary>
    Syscall = 1,
    /// <summary>Every frame allocation.</summary>
    Frames = 2,
    /// <summary>Every scheduling point (a forced switch).</summary>
    Preempt = 4,
    /// <summary>Every page-send delivery (held back a few ticks).</summary>
    Delay = 8,
    /// <summary>All of the above (the default of <c>random</c>).</summary>
    All = Syscall | Frames | Preempt | Delay,
}

/// <summary>
/// <c>random p=P [kinds=syscall,frames,preempt,delay]</c>: at every opportunity of those kinds, inject with probability
/// P, drawn from the run's seed (for syscalls: an error drawn from that syscall's documented errors).
/// </summary>
public sealed record RandomFaultRule(double Probability, FaultKinds Kinds = FaultKinds.All) : FaultRule
{
    /// <inheritdoc />
    public override string Kind => "random";

    /// <inheritdoc />
    public override string Text => string.Create(CultureInfo.InvariantCulture, $"random p={Probability.ToString("R", CultureInfo.InvariantCulture)}") +
        (Kinds == FaultKinds.All ? "" : " kinds=" + string.Join(',', Enum.GetValues<FaultKinds>()
            .Where(k => k is not (FaultKinds.None or FaultKinds.All) && Kinds.HasFlag(k)).Select(k => k.ToString().ToLowerInvariant())));
}
