using MicroKernel.Processes;

namespace MicroKernel.Scheduling;

/// <summary>
/// The mechanism of scheduling on one simulated CPU: exactly one thread runs; switching hands the CPU to the next
/// thread's gate and parks the current one. Virtual time advances one tick per scheduling point and jumps ahead
/// when every thread sleeps. Runs on whichever host thread holds the CPU: there is no scheduler thread.
/// </summary>
public sealed class Scheduler
{
    private readonly Kernel _kernel;
    private readonly ISchedulingPolicy _policy;
    private readonly PriorityQueue<SimThread, (long Tick, long Seq)> _sleepers = new();
    private readonly ManualResetEventSlim _finished = new(false);
    private long _sleepSeq;
    private long _sliceStart;

    internal Scheduler(Kernel kernel, ISchedulingPolicy policy)
    {
        _kernel = kernel;
        _policy = policy;
    }

    /// <summary>The policy in use.</summary>
    public ISchedulingPolicy Policy => _policy;

    /// <summary>The thread holding the CPU, or null before the run and after it.</summary>
    public SimThread? Current { get; private set; }

    /// <summary>Virtual time in ticks.</summary>
    public long Now { get; private set; }

    /// <summary>How many times the CPU changed hands.</summary>
    public long Switches { get; private set; }

    internal List<SimThread> LiveThreads { get; } = [];

    internal void MakeReady(SimThread t)
    {
        t.State = SimThreadState.Ready;
        t.WaitingFor = null;
        _policy.Add(t);
    }

    /// <summary>Starts the run from the host thread and waits until every thread is gone.</summary>
    internal void RunToCompletion()
    {
        SimThread? first = PickNext();
        if (first is null) return;
        Dispatch(first, "start");
        _finished.Wait();
    }

    /// <summary>A scheduling point: one tick passes; the policy may preempt the caller.</summary>
    internal void Tick(SimThread self)
    {
        Now++;
        WakeSleepers();
        if (Now > _kernel.Config.MaxTicks) _kernel.OnTickLimit();
        if (self.Killed) throw new ThreadTerminatedException();
        if (!_policy.ShouldPreempt(self, Now - _sliceStart)) return;
        MakeReady(self);
        SwitchAway(self, "preempt");
    }

    /// <summary>The caller gives up the CPU but stays ready.</summary>
    internal void Yield(SimThread self)
    {
        MakeReady(self);
        SwitchAway(self, "yield");
    }

    /// <summary>The caller waits in <paramref name="queue"/> until <see cref="Wake"/>; returns the wake result.</summary>
    internal long Block(SimThread self, WaitQueue queue)
    {
        self.State = SimThreadState.Blocked;
        self.WaitingFor = queue.Description;
        self.BlockedIn = queue;
        queue.Add(self);
        SwitchAway(self, "block: " + queue.Description);
        return self.WaitResult;
    }

    /// <summary>The caller sleeps until virtual time <paramref name="until"/>.</summary>
    internal void SleepUntil(SimThread self, long until)
    {
        self.State = SimThreadState.Sleeping;
        self.WaitingFor = $"sleep until tick {until}";
        self.SleepToken = ++_sleepSeq;
        _sleepers.Enqueue(self, (until, _sleepSeq));
        SwitchAway(self, "sleep");
    }

    /// <summary>Wakes a blocked thread with <paramref name="result"/> as the value its wait returns.</summary>
    internal void Wake(SimThread t, long result)
    {
        if (t.State != SimThreadState.Blocked) return;
        t.BlockedIn?.Remove(t);
        t.BlockedIn = null;
        t.WaitResult = result;
        MakeReady(t);
    }

    /// <summary>Pulls a killed thread out of any wait so it can run and unwind.</summary>
    internal void Interrupt(SimThread t)
    {
        switch (t.State)
        {
            case SimThreadState.Blocked:
                Wake(t, 0);
                break;
            case SimThreadState.Sleeping:
                t.SleepToken = 0; // its sleeper entry is now stale
                MakeReady(t);
                break;
            case SimThreadState.Created:
                MakeReady(t);
                break;
        }
    }

    /// <summary>The caller's thread is finished: hand the CPU on without parking.</summary>
    internal void ExitCurrent(SimThread self)
    {
        self.State = SimThreadState.Exited;
        LiveThreads.Remove(self);
        SimThread? next = PickNext();
        if (next is null)
        {
            Current = null;
            _finished.Set();
            return;
        }
        Dispatch(next, "exit");
    }

    private void SwitchAway(SimThread self, string why)
    {
        SimThread? next = PickNext();
        if (next is null) throw new KernelPanicException("no thread to run while one is switching away");
        if (next == self)
        {
            self.State = SimThreadState.Running;
            _sliceStart = Now;
            if (self.Killed) throw new ThreadTerminatedException();
            return;
        }
        Dispatch(next, why);
        self.Park();
    }

    private void Dispatch(SimThread next, string why)
    {
        SimThread? previous = Current;
        Current = next;
        next.State = SimThreadState.Running;
        next.AccessBudget = next.Killed ? 0 : _kernel.Config.AccessesPerTick;
        _sliceStart = Now;
        Switches++;
        next.Space.Activate();
        _kernel.OnSwitch(previous, next, why);
        next.Resume();
    }

    // The next ready thread; when none is ready, time jumps to the next wake-up; when nothing can ever wake,
    // it is a deadlock (reported, then the blocked processes are killed so the run ends).
    private SimThread? PickNext()
    {
        while (true)
        {
            SimThread? t = _policy.TakeNext();
            if (t is not null) return t;
            DropStaleSleepers();
            if (_sleepers.TryPeek(out _, out (long Tick, long Seq) first))
            {
                if (first.Tick > Now)
                {
                    Now = first.Tick;
                    _kernel.OnIdle(Now);
                }
                WakeSleepers();
                continue;
            }
            List<SimThread> blocked = LiveThreads.Where(x => x.State == SimThreadState.Blocked).ToList();
            if (blocked.Count == 0) return null;
            _kernel.OnDeadlock(blocked);
        }
    }

    // A killed sleeper leaves its queue entry behind; it must not make time jump to its old wake-up.
    private void DropStaleSleepers()
    {
        while (_sleepers.TryPeek(out SimThread? t, out (long Tick, long Seq) key) && (t.State != SimThreadState.Sleeping || t.SleepToken != key.Seq))
            _sleepers.Dequeue();
    }

    private void WakeSleepers()
    {
        while (_sleepers.TryPeek(out SimThread? t, out (long Tick, long Seq) key) && key.Tick <= Now)
        {
            _sleepers.Dequeue();
            if (t.State == SimThreadState.Sleeping && t.SleepToken == key.Seq) MakeReady(t);
        }
    }
}
