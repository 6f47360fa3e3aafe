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
    // Completed when the last thread exits; a one-shot signal that, unlike an event, owns no handle to dispose.
    private readonly TaskCompletionSource _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);
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

    private void MakeReadyKeepWait(SimThread t)
    {
        t.State = SimThreadState.Ready;
        _policy.Add(t);
    }

    private void EnqueueSleeper(SimThread t, long until)
    {
        t.SleepToken = ++_sleepSeq;
        _sleepers.Enqueue(t, (until, _sleepSeq));
    }

    /// <summary>Starts the run from the host thread and waits until every thread is gone.</summary>
    internal void RunToCompletion()
    {
        SimThread? first = PickNext();
        if (first is null) return;
        Dispatch(first, "start");
        _finished.Task.Wait();
    }

    /// <summary>A scheduling point: one tick passes; the policy may preempt the caller.</summary>
    internal void Tick(SimThread self)
    {
        Now++;
        WakeSleepers();
        if (Now > _kernel.Config.MaxTicks) _kernel.OnTickLimit();
        // Tick rules (kill, crash, flip, preempt) fire at the first scheduling point at or after their time.
        bool forced = Now >= _kernel.Injector.NextDue && _kernel.Injector.OnTick(self, Now);
        if (self.Killed) throw self.Terminating();
        if (forced)
        {
            MakeReady(self);
            SwitchAway(self, "injected preempt");
            return;
        }
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

    /// <summary>
    /// The caller waits in <paramref name="queue"/> until <see cref="Wake"/>, or until <paramref name="timeoutTicks"/>
    /// pass (then the result is <see cref="Syscalls.ErrorCode.TimedOut"/>); 0 = no timeout. A handler (upcall) queued
    /// for the process may interrupt the wait; the wait resumes after it, as with SA_RESTART.
    /// </summary>
    internal long Block(SimThread self, WaitQueue queue, long timeoutTicks = 0)
    {
        // A handler that interrupted a wait of this thread must not start a second one: a thread waits in one place.
        // (A second wait would queue it twice; the stale entry outlives both waits, and the loops that wake a whole
        // queue at an exit would never empty it.)
        if (self.BlockedIn is not null) return (long)Syscalls.ErrorCode.NotPermitted;
        long deadline = timeoutTicks > 0 ? Now + timeoutTicks : long.MaxValue;
        self.BlockedIn = queue;
        queue.Add(self);
        while (true)
        {
            self.State = SimThreadState.Blocked;
            self.WaitingFor = queue.Description;
            if (deadline != long.MaxValue) EnqueueSleeper(self, deadline);
            SwitchAway(self, queue.SwitchReason);
            if (self.BlockedIn is null) return self.WaitResult;
            // Kicked to run a handler while still waiting.
            self.SleepToken = 0;
            _kernel.UpcallPoint(self);
            if (self.BlockedIn is null) return self.WaitResult;
            if (Now >= deadline)
            {
                queue.Remove(self);
                self.BlockedIn = null;
                return (long)Syscalls.ErrorCode.TimedOut;
            }
        }
    }

    /// <summary>The caller sleeps until virtual time <paramref name="until"/> (handlers may run meanwhile).</summary>
    internal void SleepUntil(SimThread self, long until)
    {
        while (Now < until)
        {
            self.State = SimThreadState.Sleeping;
            self.WaitingFor = $"sleep until tick {until}";
            EnqueueSleeper(self, until);
            SwitchAway(self, "sleep");
            if (Now < until) _kernel.UpcallPoint(self); // kicked to run a handler
        }
    }

    /// <summary>
    /// Gets a thread of a process with no ready thread to run its pending handler: a blocked or sleeping thread
    /// becomes ready without leaving its wait, runs the handler, then waits again.
    /// </summary>
    internal void Kick(Process p)
    {
        _kernel.Machine.Memory.Changes.Mark(Invariants.CheckedState.Other); // a thread may leave its wait to run a handler
        // Plain loops, no LINQ: a stream kicks its consumer once per packet, which must not allocate.
        SimThread? t = null;
        foreach (SimThread x in p.ThreadList)
        {
            if (x.State is SimThreadState.Ready or SimThreadState.Running or SimThreadState.Created) return;
            if (!x.Killed && x.State is SimThreadState.Blocked or SimThreadState.Sleeping && (t is null || x.Tid < t.Tid)) t = x;
        }
        if (t is null) return;
        t.SleepToken = 0;
        MakeReadyKeepWait(t);
    }

    /// <summary>Wakes a blocked thread with <paramref name="result"/> as the value its wait returns.</summary>
    internal void Wake(SimThread t, long result)
    {
        _kernel.Machine.Memory.Changes.Mark(Invariants.CheckedState.Other); // a wait ends: the families' waiters change
        if (t.BlockedIn is null) return;
        t.BlockedIn.Remove(t);
        t.BlockedIn = null;
        t.WaitResult = result;
        t.SleepToken = 0;
        // A kicked thread is already ready or running its handler: it sees BlockedIn == null when it returns.
        if (t.State == SimThreadState.Blocked) MakeReady(t);
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
            case SimThreadState.Ready when t.BlockedIn is not null:
                Wake(t, 0); // kicked for a handler; it must not wait again
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
            self.CpuHolderId = SimThread.NoHolder;
            Current = null;
            _finished.TrySetResult();
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
            if (self.Killed) throw self.Terminating();
            return;
        }
        Dispatch(next, why);
        self.Park();
    }

    private void Dispatch(SimThread next, string why)
    {
        SimThread? previous = Current;
        // The port changes hands with the CPU: from now on only next's own host thread may use next's port.
        if (previous is not null) previous.CpuHolderId = SimThread.NoHolder;
        next.CpuHolderId = next.HostId;
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
            // A page-send delivery held back by a delay fault rule is a wake-up too.
            long held = _kernel.Injector.Active ? _kernel.Injector.NextHeldDue : long.MaxValue;
            bool sleeper = _sleepers.TryPeek(out _, out (long Tick, long Seq) first);
            if (sleeper || held != long.MaxValue)
            {
                long wake = sleeper ? Math.Min(first.Tick, held) : held;
                if (wake > Now)
                {
                    Now = wake;
                    _kernel.OnIdle(Now);
                }
                WakeSleepers();
                if (held <= Now) _kernel.Injector.ReleaseHeld(Now);
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
        while (_sleepers.TryPeek(out SimThread? t, out (long Tick, long Seq) key) && (t.State is not (SimThreadState.Sleeping or SimThreadState.Blocked) || t.SleepToken != key.Seq))
            _sleepers.Dequeue();
    }

    private void WakeSleepers()
    {
        while (_sleepers.TryPeek(out SimThread? t, out (long Tick, long Seq) key) && key.Tick <= Now)
        {
            _sleepers.Dequeue();
            if (t.SleepToken != key.Seq) continue;
            if (t.State == SimThreadState.Sleeping) MakeReady(t);
            else if (t.State == SimThreadState.Blocked) Wake(t, (long)Syscalls.ErrorCode.TimedOut);
        }
    }
}
