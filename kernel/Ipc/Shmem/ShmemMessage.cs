using MicroKernel.Processes;

namespace MicroKernel.Ipc.Shmem;

/// <summary>
/// A segment on its way to the peer's handler: an asynchronous send, or a call whose caller waits on
/// <see cref="Reply"/> for the segment to come back.
/// </summary>
internal sealed class ShmemMessage(Segment segment, ulong type, Process sender, SimThread? caller)
{
    /// <summary>The segment it carries.</summary>
    public Segment Segment { get; } = segment;

    /// <summary>The message type the sender chose (the handler sees it).</summary>
    public ulong Type { get; } = type;

    /// <summary>The sending process.</summary>
    public Process Sender { get; } = sender;

    /// <summary>For shm_call: the thread waiting for the segment to come back; null for shm_send.</summary>
    public SimThread? Caller { get; } = caller;

    /// <summary>True for shm_call.</summary>
    public bool IsCall => Caller is not null;

    /// <summary>Where the caller of shm_call waits.</summary>
    public WaitQueue Reply { get; } = new($"shm_call of segment {segment.Id}");
}

/// <summary>A process's side of shared memory: its segment handler and the segments queued for it.</summary>
internal sealed class ShmemProcessState
{
    /// <summary>The handler's entry (0 = none).</summary>
    public ulong Handler { get; set; }

    /// <summary>Segments sent to this process whose handler has not run yet, oldest first.</summary>
    public Queue<ShmemMessage> Pending { get; } = new();
}
