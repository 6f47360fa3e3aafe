using MicroKernel.Processes;
using HostThread = System.Threading.Thread;

namespace MicroKernel.Scheduling;

/// <summary>
/// A host thread that runs inline threads (threads with a <see cref="ResumableBody"/>): it takes a step of the
/// thread the scheduler handed it, and when that step gave the CPU to another inline thread it runs that one's step
/// next, on the same host stack: a switch between two inline threads is no host handoff. It goes back to its
/// scheduler's pool when the CPU goes to a host-threaded thread (a C# program) or to an inline thread parked inside
/// the kernel on another runner's stack. A runner is a stack, not a thread of the program: while an inline thread
/// waits inside the kernel (a blocking syscall, a switch inside a handler or an RPC call), its kernel frames keep
/// that runner's host thread, and the pool serves the next inline thread from another runner.
/// </summary>
internal sealed class CpuRunner
{
    private readonly Scheduler _scheduler;
    private readonly HandoffGate _gate = new();
    private readonly HostThread _host;

    internal CpuRunner(Scheduler scheduler, int number)
    {
        _scheduler = scheduler;
        _host = new HostThread(Main, maxStackSize: 1 << 20) { IsBackground = true, Name = $"sim cpu runner {number}" };
        HostId = _host.ManagedThreadId;
    }

    /// <summary>The managed id of the runner's host thread: the CPU holder id of the inline thread it runs.</summary>
    internal int HostId { get; }

    /// <summary>Where the runner is; guarded by the scheduler's pool lock.</summary>
    internal RunnerState State { get; set; } = RunnerState.Busy;

    /// <summary>The next thread to run, set by this runner's own host thread (a dispatch at the end of a step it ran).</summary>
    internal SimThread? OwnNext { get; set; }

    /// <summary>The thread another host thread handed this runner, set before it opens the gate.</summary>
    internal SimThread? Handed { get; set; }

    /// <summary>The inline thread whose step is on this runner's stack (for Dispose), else null.</summary>
    internal volatile SimThread? Running;

    internal void Start() => _host.Start();

    /// <summary>Wakes the runner (it was handed a thread, or the run ended).</summary>
    internal void Open() => _gate.Open();

    /// <summary>Waits up to <paramref name="timeout"/> for the host thread to end; true when it has.</summary>
    internal bool Join(TimeSpan timeout) => _host.Join(timeout);

    private void Main()
    {
        SimThread.BindHost(HostId);
        try
        {
            while (true)
            {
                _gate.Wait();
                if (_scheduler.RunnersRetired) return;
                _scheduler.RunnerWoke(this);
                SimThread? t = Handed;
                Handed = null;
                while (t is not null)
                {
                    Running = t;
                    t.RunStep(this);
                    Running = null;
                    t = OwnNext;
                    OwnNext = null;
                }
                // Free: into the pool, unless the dispatch that freed it put it there already (it may be claimed again).
                if (!_scheduler.ReturnRunner(this)) return;
            }
        }
        finally
        {
            _scheduler.RunnerEnded(this);
        }
    }
}

/// <summary>Where a <see cref="CpuRunner"/> is.</summary>
internal enum RunnerState
{
    /// <summary>Running a step (or unwinding one).</summary>
    Busy,
    /// <summary>In the pool, free to take.</summary>
    Pooled,
    /// <summary>Taken from the pool and handed a thread; its gate is (about to be) open.</summary>
    Claimed,
}
