using MicroKernel.Hardware;
using MicroKernel.Processes;

namespace MicroKernel.Faults;

// The rules that fire at a time (kill, crash, preempt, flip at a tick) or hold something back in time (delay): the
// scheduler calls OnTick at the scheduling points from NextDue on, and counts held deliveries as wake-ups when idle.
internal sealed partial class FaultInjector
{
    // ---------------------------------------------------------------- page-send deliveries

    private readonly List<(long Due, Process Process)> _held = [];
    private long _deliveries;

    /// <summary>
    /// A page-send message reaches the head of its receiver's queue (its delivery, on <paramref name="thread"/>). Returns how many
    /// ticks a <c>delay</c> rule (or <c>random</c>) holds it back, 0 for none; the kernel then retries the delivery at
    /// the first scheduling point at or after that time.
    /// </summary>
    public long DelayDelivery(SimThread thread, ulong type, int senderPid)
    {
        long n = ++_deliveries;
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_rules[i] is DelayFaultRule r && r.Nth == n && r.Ticks > 0)
                return Hold(i, thread, n, r.Ticks, type, senderPid, "");
        }
        if (RandomHas(FaultKinds.Delay) && RandomFires(FaultKinds.Delay) is >= 0 and int fired)
            return Hold(fired, thread, n, 1 + _random.NextInt(16), type, senderPid, "random: ");
        return 0;
    }

    private long Hold(int rule, SimThread thread, long n, long ticks, ulong type, int senderPid, string prefix)
    {
        Process p = thread.Process;
        Record(rule, p.Pid, thread.Tid, string.Create(CultureInfo.InvariantCulture, $"{prefix}delay delivery #{n} (type {type} from pid {senderPid}) by {ticks} ticks"));
        _held.Add((Now + ticks, p));
        RecomputeNextDue();
        return ticks;
    }

    /// <summary>The earliest time a held delivery is due, or <see cref="long.MaxValue"/> (the scheduler's idle jump).</summary>
    public long NextHeldDue
    {
        get
        {
            long due = long.MaxValue;
            foreach ((long d, Process _) in _held) due = Math.Min(due, d);
            return due;
        }
    }

    /// <summary>Makes every receiver whose held delivery is due at <paramref name="now"/> run its handlers again.</summary>
    public void ReleaseHeld(long now)
    {
        if (_held.Count == 0) return;
        for (int i = 0; i < _held.Count; i++)
        {
            (long due, Process p) = _held[i];
            if (due > now) continue;
            _held.RemoveAt(i--);
            if (p.State == ProcessState.Running && p.PendingUpcalls > 0) _kernel?.Scheduler.Kick(p);
        }
        RecomputeNextDue();
    }

    // ---------------------------------------------------------------- scheduling points

    /// <summary>
    /// A scheduling point of <paramref name="self"/> at or after <see cref="NextDue"/>: fires every tick rule whose
    /// time has come (kill, crash, flip, preempt) and releases due deliveries. Returns true when the caller must be
    /// switched away (a forced preemption).
    /// </summary>
    public bool OnTick(SimThread self, long now)
    {
        bool preempt = false;
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_fired[i]) continue;
            switch (_rules[i])
            {
                case KillFaultRule { Tick: { } t } k when now >= t:
                    _fired[i] = true;
                    KillAtTick(i, k, now);
                    break;
                case CrashFaultRule c when now >= c.Tick:
                    _fired[i] = true;
                    CrashAtTick(i, c, self, now);
                    break;
                case PreemptFaultRule p when now >= p.Tick:
                    _fired[i] = true;
                    preempt = true;
                    Record(i, self.Process.Pid, self.Tid, string.Create(CultureInfo.InvariantCulture, $"preempt tid {self.Tid} at tick {now}"));
                    break;
                case FlipFaultRule f when now >= f.Tick:
                    _fired[i] = true;
                    Flip(i, f, now);
                    break;
            }
        }
        if (!preempt && RandomHas(FaultKinds.Preempt) && RandomFires(FaultKinds.Preempt) is >= 0 and int fired)
        {
            preempt = true;
            Record(fired, self.Process.Pid, self.Tid, string.Create(CultureInfo.InvariantCulture, $"random: preempt tid {self.Tid} at tick {now}"));
        }
        ReleaseHeld(now);
        RecomputeNextDue();
        return preempt;
    }

    private void RecomputeNextDue()
    {
        long due = RandomHas(FaultKinds.Preempt) ? long.MinValue : NextHeldDue;
        for (int i = 0; i < _rules.Length; i++)
        {
            if (_fired[i]) continue;
            long? t = _rules[i] switch
            {
                KillFaultRule k => k.Tick,
                CrashFaultRule c => c.Tick,
                PreemptFaultRule p => p.Tick,
                FlipFaultRule f => f.Tick,
                _ => null,
            };
            if (t is { } tick) due = Math.Min(due, tick);
        }
        NextDue = due;
    }

    private void KillAtTick(int rule, KillFaultRule k, long now)
    {
        Process? p = _kernel?.FindProcess(k.Pid);
        if (p is null || p.State != ProcessState.Running)
        {
            Record(rule, k.Pid, 0, string.Create(CultureInfo.InvariantCulture, $"kill pid {k.Pid} at tick {now}: no running process, nothing killed"));
            return;
        }
        Record(rule, k.Pid, 0, string.Create(CultureInfo.InvariantCulture, $"kill pid {k.Pid} at tick {now}"));
        _kernel!.KillByFaultRule(p);
    }

    private void CrashAtTick(int rule, CrashFaultRule c, SimThread self, long now)
    {
        Process? p = _kernel?.FindProcess(c.Pid);
        // The thread that faults: the running one when it acts for the process, else the process's oldest live thread.
        SimThread? victim = p is null || p.State != ProcessState.Running ? null
            : ReferenceEquals(self.Process, p) ? self
            : p.ThreadList.Where(t => !t.Killed).MinBy(t => t.Tid);
        if (victim is null)
        {
            Record(rule, c.Pid, 0, string.Create(CultureInfo.InvariantCulture, $"crash pid {c.Pid} at tick {now}: no running thread, nothing crashed"));
            return;
        }
        Record(rule, c.Pid, victim.Tid, string.Create(CultureInfo.InvariantCulture, $"crash pid {c.Pid} tid {victim.Tid} at tick {now}"));
        _kernel!.InjectCrash(victim, string.Create(CultureInfo.InvariantCulture, $"crash injected by fault rule #{rule}"));
    }

    // A memory error hits the physical byte: the frame is found through the space's own books (no page walk, so no
    // Accessed/Dirty bit changes and no TLB fill), and every mapping of that frame (copy-on-write or shared) sees it.
    private void Flip(int rule, FlipFaultRule f, long now)
    {
        Process? p = _kernel?.FindProcess(f.Pid);
        ulong page = f.Address & ~(ulong)(PhysicalMemory.FrameSize - 1);
        ulong? frame = null;
        if (p is { State: ProcessState.Running })
            foreach ((ulong va, ulong fr) in p.AddressSpace.UserFrames())
                if (va == page) { frame = fr; break; }
        string where = string.Create(CultureInfo.InvariantCulture, $"flip pid {f.Pid} addr 0x{f.Address:x} bit {f.Bit} at tick {now}");
        if (frame is not { } found)
        {
            Record(rule, f.Pid, 0, where + ": not mapped, nothing flipped");
            return;
        }
        ulong pa = (found << PhysicalMemory.FrameShift) | (f.Address & (ulong)(PhysicalMemory.FrameSize - 1));
        Span<byte> b = _kernel!.Machine.Memory.Slice(pa, 1, forWrite: true);
        byte before = b[0];
        b[0] = (byte)(before ^ (1 << f.Bit));
        Record(rule, f.Pid, 0, string.Create(CultureInfo.InvariantCulture, $"{where}: 0x{before:x2} -> 0x{b[0]:x2} (frame {found})"));
    }
}
