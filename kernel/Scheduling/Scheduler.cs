using MicroKernel.Processes;

namespace MicroKernel.Scheduling;

/// <summary>
/// The mechanism of scheduling on one simulated CPU: exactly one thread runs; switching hands the CPU to the next
/// thread's gate and parks the current one. Virtual time advances one tick per scheduling point and jumps ahead
/// when every thread sleeps. Runs on whichever host thread holds the CPU: there is no scheduler thread. An inline
/// thread (one with a <see cref="ResumableBody"/>) is run by a <see cref="CpuRunner"/> host thread of the pool here:
/// switching away from it at a suspension point of its own code hands the next inline thread to the same runner,
/// with no handoff (docs/architecture.md, "Threads without host threads").
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
    // Runners: the free ones (most recently freed first: its stack is warm) and every live one; both under _runnerLock.
    private readonly object _runnerLock = new();
    private readonly Stack<CpuRunner> _idleRunners = new();
    private readonly List<CpuRunner> _liveRunners = [];
    private int _runnersStarted;

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

    /// <summary>
    /// A scheduling point: one tick passes; the policy may preempt the caller. With <paramref name="canSuspend"/> (an
    /// inline thread at the top level of its body) a switch does not park the caller: it returns false, and the caller
    /// returns to its runner without touching the kernel again; else true.
    /// </summary>
    internal bool Tick(SimThread self, bool canSuspend = false)
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
            return SwitchAway(self, "injected preempt", canSuspend);
        }
        if (!_policy.ShouldPreempt(self, Now - _sliceStart)) return true;
        MakeReady(self);
        return SwitchAway(self, "preempt", canSuspend);
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
            RetireRunners();
            return;
        }
        // An inline thread whose step has unwound to its runner frees that runner for the next one.
        Dispatch(next, "exit", self.IsInline && self.StepUnwound ? self.Runner : null);
    }

    private bool SwitchAway(SimThread self, string why, bool canSuspend = false)
    {
        SimThread? next = PickNext();
        if (next is null) throw new KernelPanicException("no thread to run while one is switching away");
        if (next == self)
        {
            self.State = SimThreadState.Running;
            _sliceStart = Now;
            if (self.Killed) throw self.Terminating();
            return true;
        }
        if (canSuspend && self.IsInline)
        {
            // Suspended: its state stays in its body; its runner runs next (or goes back to the pool) once it unwinds.
            Dispatch(next, why, self.Runner);
            return false;
        }
        // Parked inside the kernel: an inline thread keeps its runner's host stack until it is dispatched again.
        self.Pinned = self.IsInline;
        Dispatch(next, why);
        try
        {
            self.Park();
        }
        finally
        {
            self.Pinned = false;
        }
        return true;
    }

    // Gives the CPU to next. Who runs it: its own host thread (host-threaded, or an inline thread parked inside the
    // kernel on a runner's stack), else a runner: the freeing one (the caller's, whose step is ending) or one of the pool.
    private void Dispatch(SimThread next, string why, CpuRunner? freeing = null)
    {
        SimThread? previous = Current;
        // The port changes hands with the CPU: from now on only the host thread that runs next may use next's port.
        if (previous is not null) previous.CpuHolderId = SimThread.NoHolder;
        CpuRunner? handTo = null;
        bool runsOnGate = !next.IsInline || next.Pinned;
        if (!runsOnGate)
        {
            if (freeing is not null)
            {
                freeing.OwnNext = next;
                next.HostId = freeing.HostId;
            }
            else
            {
                handTo = TakeRunner();
                handTo.Handed = next;
                next.HostId = handTo.HostId;
            }
        }
        else if (freeing is not null)
        {
            PoolRunner(freeing);
        }
        next.CpuHolderId = next.HostId;
        Current = next;
        next.State = SimThreadState.Running;
        next.AccessBudget = next.Killed ? 0 : _kernel.Config.AccessesPerTick;
        _sliceStart = Now;
        Switches++;
        next.Space.Activate();
        _kernel.OnSwitch(previous, next, why);
        if (runsOnGate) next.Resume();
        else handTo?.Open();
    }

    /// <summary>Host threads started for runners of inline threads so far.</summary>
    internal int RunnersStarted
    {
        get
        {
            lock (_runnerLock) return _runnersStarted;
        }
    }

    /// <summary>Live runner host threads (running, parked inside the kernel for a thread, or idle in the pool).</summary>
    internal int LiveRunners
    {
        get
        {
            lock (_runnerLock) return _liveRunners.Count;
        }
    }

    /// <summary>Set once the run has ended or the kernel was disposed: a runner that wakes or frees up ends.</summary>
    internal bool RunnersRetired { get; private set; }

    // A free runner from the pool, or a new host thread when none is free. Claimed: it runs what it is handed.
    private CpuRunner TakeRunner()
    {
        lock (_runnerLock)
        {
            if (!_idleRunners.TryPop(out CpuRunner? runner))
            {
                runner = new CpuRunner(this, ++_runnersStarted);
                _liveRunners.Add(runner);
                runner.Start();
            }
            runner.State = RunnerState.Claimed;
            return runner;
        }
    }

    // The runner's step is ending with the CPU going to a thread it cannot run: free at once (it may be claimed while
    // it unwinds; its gate keeps the wake-up until it waits).
    private void PoolRunner(CpuRunner runner)
    {
        lock (_runnerLock) PoolRunnerLocked(runner);
    }

    /// <summary>A runner woke with a thread handed to it: it runs steps now.</summary>
    internal void RunnerWoke(CpuRunner runner)
    {
        lock (_runnerLock) runner.State = RunnerState.Busy;
    }

    /// <summary>
    /// A runner's steps are done and it has no next thread: into the pool unless a dispatch put it there already.
    /// False when it must end instead (the run is over, or the kernel disposed).
    /// </summary>
    internal bool ReturnRunner(CpuRunner runner)
    {
        lock (_runnerLock)
        {
            if (RunnersRetired) return false;
            if (runner.State == RunnerState.Busy) PoolRunnerLocked(runner);
            return true;
        }
    }

    private void PoolRunnerLocked(CpuRunner runner)
    {
        runner.State = RunnerState.Pooled;
        _idleRunners.Push(runner);
    }

    /// <summary>A runner's host thread is ending.</summary>
    internal void RunnerEnded(CpuRunner runner)
    {
        lock (_runnerLock) _liveRunners.Remove(runner);
    }

    // The run is over: free runners end (a busy one ends when its step unwinds).
    private void RetireRunners()
    {
        lock (_runnerLock)
        {
            RunnersRetired = true;
            while (_idleRunners.TryPop(out CpuRunner? r)) r.Open();
        }
    }

    /// <summary>
    /// Kernel.Dispose: every runner ends; one parked inside the kernel for an inline thread unwinds it first (its gate
    /// opens, the thread sees the kernel disposed). Returns them, for the caller to wait for.
    /// </summary>
    internal List<CpuRunner> ReleaseRunners()
    {
        List<CpuRunner> all;
        lock (_runnerLock)
        {
            RunnersRetired = true;
            _idleRunners.Clear();
            all = [.. _liveRunners];
        }
        foreach (CpuRunner r in all)
        {
            if (r.Running is { IsRunningAway: false } t) t.Resume();
            r.Open();
        }
        return all;
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
