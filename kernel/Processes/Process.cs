using MicroKernel.Memory;

namespace MicroKernel.Processes;

/// <summary>
/// A process: an address space (or MPU region set), threads, a program image and a fault policy. IPC families keep
/// their per-process state (handlers, exported services, handles) in tables of their own, by pid.
/// </summary>
public sealed class Process
{
    private readonly List<SimThread> _threads = [];

    internal Process(int pid, string name, ProgramImage image, AddressSpace space, int priority, FaultPolicy policy, IReadOnlyList<string> arguments)
    {
        Pid = pid;
        Name = name;
        Image = image;
        AddressSpace = space;
        Priority = priority;
        FaultPolicy = policy;
        Arguments = arguments;
    }

    /// <summary>Process id, unique in the kernel, from 1.</summary>
    public int Pid { get; }

    /// <summary>A name for traces.</summary>
    public string Name { get; }

    /// <summary>The program the process runs.</summary>
    public ProgramImage Image { get; internal set; }

    /// <summary>Its memory.</summary>
    public AddressSpace AddressSpace { get; internal set; }

    /// <summary>Default priority of its threads.</summary>
    public int Priority { get; }

    /// <summary>What a fault does to it.</summary>
    public FaultPolicy FaultPolicy { get; }

    /// <summary>Arguments given at spawn.</summary>
    public IReadOnlyList<string> Arguments { get; }

    /// <summary>How often the <see cref="FaultPolicy.Restart"/> policy may restart it.</summary>
    public int MaxRestarts { get; init; } = 3;

    /// <summary>How often it was restarted.</summary>
    public int Restarts { get; internal set; }

    /// <summary>Running, dying or exited.</summary>
    public ProcessState State { get; internal set; }

    /// <summary>Exit status once it exited: the code passed to exit, or 128 + fault reason when a fault killed it.</summary>
    public long ExitStatus { get; internal set; }

    /// <summary>The faults it took, oldest first.</summary>
    public List<FaultRecord> Faults { get; } = [];

    /// <summary>Upcalls (handler deliveries) queued for this process and not yet run.</summary>
    public int PendingUpcalls { get; internal set; }

    /// <summary>Handlers run so far.</summary>
    public long UpcallsRun { get; internal set; }

    /// <summary>True while one of its threads runs a handler: handlers do not nest.</summary>
    public bool InUpcall { get; internal set; }

    /// <summary>Threads waiting in pause() for a handler to run.</summary>
    internal WaitQueue UpcallWaiters { get; } = new("a handler to run (pause)");

    /// <summary>Its live threads (current generation).</summary>
    public IReadOnlyList<SimThread> Threads => _threads;

    internal List<SimThread> ThreadList => _threads;

    /// <summary>
    /// Exit codes of its threads that ended, by tid, for thread_join of a thread that is already gone (like a zombie
    /// thread's status). Lookup only, never enumerated.
    /// </summary>
    internal Dictionary<int, long> ExitedThreadCodes { get; } = [];

    /// <inheritdoc />
    public override string ToString() => $"pid {Pid} ({Name})";
}
