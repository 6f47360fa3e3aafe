using MicroKernel.Invariants;
using MicroKernel.Processes;

namespace MicroKernel;

// The invariant catalogue and the points where the kernel runs it (KernelConfig.Check): after a syscall, at a
// scheduling point, at the end of the run. A violation is a kernel bug, so it ends the run as a panic. A check point
// after a syscall or at a scheduling point re-runs only the invariants that read a part of the state changed since
// the last check (Machine.Memory.Changes, marked by the code that changes it); the end of the run checks them all.
public sealed partial class Kernel
{
    private IReadOnlyList<Invariant>? _invariants;

    /// <summary>
    /// The catalogue: the memory invariants first, then each IPC family's, in the order the families were plugged in.
    /// </summary>
    public IReadOnlyList<Invariant> Invariants => _invariants ??= [.. MemoryInvariants.For(this), .. _families.SelectMany(f => f.Invariants)];

    /// <summary>Runs the whole catalogue now: every problem found, in catalogue order (empty = the kernel is sound).</summary>
    public IReadOnlyList<InvariantViolation> FindViolations() => FindViolations(CheckedState.All);

    // Runs the invariants that read any of `changed`, in catalogue order. Nothing is allocated here while all hold
    // (an index loop, a list made at the first problem): a check point runs after every syscall under --check.
    private InvariantViolation[] FindViolations(CheckedState changed)
    {
        List<InvariantViolation>? found = null;
        IReadOnlyList<Invariant> catalogue = Invariants;
        for (int i = 0; i < catalogue.Count; i++)
            if ((catalogue[i].Reads & changed) != 0)
            {
                InvariantChecksRun++;
                IReadOnlyList<InvariantViolation> problems = catalogue[i].Check();
                if (problems.Count > 0) (found ??= []).AddRange(problems);
            }
        return found is null ? [] : [.. found];
    }

    /// <summary>Invariant checks the check points ran so far (one per invariant run): tests count skipped work with it.</summary>
    internal long InvariantChecksRun { get; private set; }

    /// <summary>
    /// The catalogue's problems as text, "invariant: problem" each (empty = all good). Frame accounting, page tables,
    /// TLB, MPU regions and each IPC family's own rules: see <see cref="Invariants"/>.
    /// </summary>
    public IReadOnlyList<string> CheckInvariants() => [.. FindViolations().Select(v => v.ToString())];

    /// <summary>The plugged-in family of type <typeparamref name="T"/> (tests reach a family's state through it).</summary>
    internal T Family<T>() where T : Ipc.IIpcFamily => _families.OfType<T>().First();

    // A scheduling point (Tick level): called before the tick passes, where no kernel operation is half done.
    private void TickCheckPoint(SimThread thread)
    {
        if (Config.Check == CheckLevel.Tick) CheckPoint(thread, -1);
    }

    // The end of a syscall (Syscall level and above), after its exit event.
    private void SyscallCheckPoint(SimThread caller, long number)
    {
        if (Config.Check >= CheckLevel.Syscall) CheckPoint(caller, number);
    }

    // The end of the run (every level): a violation left behind is a panic too, unless the run panicked already.
    private void EndCheckPoint()
    {
        if (_panic is not null) return;
        try
        {
            CheckPoint(null, -1);
        }
        catch (InvariantViolationException e)
        {
            Panic(null, e);
        }
    }

    // Throws when the catalogue finds a problem; the kernel entry that called it turns the exception into a panic.
    // `thread` null = the end of the run; `syscall` -1 = a scheduling point.
    private void CheckPoint(SimThread? thread, long syscall)
    {
        CheckedState changed = Machine.Memory.Changes.Take();
        if (thread is null) changed = CheckedState.All; // the end of the run checks everything
        if (changed == CheckedState.None) return; // nothing changed since the last check (a getpid): nothing to check
        InvariantViolation[] found = FindViolations(changed);
        if (found.Length == 0) return;
        string where = thread is null ? "at the end of the run"
            : syscall < 0 ? $"at a scheduling point of {thread}"
            : $"after syscall {Syscalls.Find(syscall)?.Name ?? syscall.ToString(CultureInfo.InvariantCulture)} of {thread}";
        throw new InvariantViolationException(found, Tracing && _nextSeq > 0 ? _nextSeq - 1 : null, Scheduler.Now, where);
    }
}
