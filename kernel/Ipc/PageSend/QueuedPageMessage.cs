using MicroKernel.Memory;

namespace MicroKernel.Ipc.PageSend;

/// <summary>A message in a receiver's queue: whole pages in flight, owned by the kernel until the handler runs.</summary>
internal sealed record QueuedPageMessage(int SenderPid, ulong Type, PageRun Pages, ulong Flags)
{
    /// <summary>How the receiver maps the pages.</summary>
    public Protection ReceiverProtection => (Flags & (ulong)SendFlags.ReceiverWrite) != 0 ? Protection.ReadWrite : Protection.Read;

    /// <summary>True once the fault injector was asked whether to delay this delivery (it is asked once).</summary>
    public bool DelayAsked { get; set; }

    /// <summary>A delay fault rule holds the delivery back until this virtual time (0 = not held).</summary>
    public long HeldUntil { get; set; }
}

/// <summary>A process's page-send state: its handlers and its bounded queue of pending messages.</summary>
internal sealed class PageSendState
{
    /// <summary>Message type -> handler entry.</summary>
    public Dictionary<ulong, ulong> Handlers { get; } = [];

    /// <summary>Messages waiting for a handler to run, oldest first (delivery is FIFO).</summary>
    public Queue<QueuedPageMessage> Pending { get; } = new();

    /// <summary>Senders blocked on this queue being full.</summary>
    public Processes.WaitQueue SpaceWaiters { get; } = new("space in a receiver's message queue");
}
