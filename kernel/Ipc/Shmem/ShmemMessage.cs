using System.Globalization;
using Microsoft.Extensions.ObjectPool;
using MicroKernel.Processes;

namespace MicroKernel.Ipc.Shmem;

/// <summary>
/// A segment on its way to the peer's handler: an asynchronous send, or a call whose caller waits on
/// <see cref="Reply"/> for the segment to come back. Messages come from a <see cref="ShmemMessagePool"/> and go back
/// to it once delivered or dropped, so a send allocates nothing in steady state (a stream sends one per packet).
/// </summary>
internal sealed class ShmemMessage
{
    // The segment the reply queue's description names: the text is made again only when it changes.
    private int _replySegment;

    /// <summary>The segment it carries.</summary>
    public Segment Segment { get; private set; } = null!;

    /// <summary>The message type the sender chose (the handler sees it).</summary>
    public ulong Type { get; private set; }

    /// <summary>The sending process.</summary>
    public Process Sender { get; private set; } = null!;

    /// <summary>For shm_call: the thread waiting for the segment to come back; null for shm_send.</summary>
    public SimThread? Caller { get; private set; }

    /// <summary>True for shm_call.</summary>
    public bool IsCall => Caller is not null;

    /// <summary>True once its handler started: from then on the delivery, not a teardown, gives it back to the pool.</summary>
    public bool Delivered { get; set; }

    /// <summary>Where the caller of shm_call waits (kept across uses of this object).</summary>
    public WaitQueue Reply { get; } = new("shm_call");

    /// <summary>Fills a message taken from the pool.</summary>
    public void Set(Segment segment, ulong type, Process sender, SimThread? caller)
    {
        Segment = segment;
        Type = type;
        Sender = sender;
        Caller = caller;
        Delivered = false;
        if (caller is not null && _replySegment != segment.Id)
        {
            _replySegment = segment.Id;
            Reply.Description = string.Create(CultureInfo.InvariantCulture, $"shm_call of segment {segment.Id}");
        }
    }

    /// <summary>Forgets what it carried (the pool's reset: no process or segment stays reachable from the pool).</summary>
    public void Clear()
    {
        Segment = null!;
        Sender = null!;
        Caller = null;
    }
}

/// <summary>The kernel's pool of <see cref="ShmemMessage"/> objects (Microsoft.Extensions.ObjectPool).</summary>
internal sealed class ShmemMessagePool
{
    private readonly ObjectPool<ShmemMessage> _pool = new DefaultObjectPool<ShmemMessage>(new Policy(), 64);

    /// <summary>A message carrying <paramref name="segment"/>.</summary>
    public ShmemMessage Get(Segment segment, ulong type, Process sender, SimThread? caller)
    {
        ShmemMessage m = _pool.Get();
        m.Set(segment, type, sender, caller);
        return m;
    }

    /// <summary>Takes back a message that was delivered or dropped and is referenced from nowhere any more.</summary>
    public void Return(ShmemMessage m) => _pool.Return(m);

    private sealed class Policy : PooledObjectPolicy<ShmemMessage>
    {
        public override ShmemMessage Create() => new();

        // A message with a waiter still queued on its reply must not be reused.
        public override bool Return(ShmemMessage m)
        {
            m.Clear();
            return m.Reply.Count == 0;
        }
    }
}

/// <summary>A process's side of shared memory: its segment handler and the segments queued for it.</summary>
internal sealed class ShmemProcessState
{
    /// <summary>The handler's entry (0 = none).</summary>
    public ulong Handler { get; set; }

    /// <summary>Segments sent to this process whose handler has not run yet, oldest first.</summary>
    public Queue<ShmemMessage> Pending { get; } = new();
}
