namespace MicroKernel.Userland.Services.Queue;

/// <summary>The operations a queue client asks of the queue server.</summary>
public enum QueueOp : ulong
{
    /// <summary>Append one item (fails with QueueFull when the queue holds its capacity).</summary>
    Send = 1,
    /// <summary>Take the oldest item (fails with WouldBlock when the queue is empty).</summary>
    Receive = 2,
    /// <summary>The client leaves: the server forgets its call slot.</summary>
    Disconnect = 3,
    /// <summary>The server replies, then exits (its notification objects close, so waiting clients learn it).</summary>
    Shutdown = 4,
    /// <summary>How many items the queue holds now.</summary>
    Count = 5,
}

/// <summary>
/// Names and layouts shared by <see cref="QueueServer"/>, <see cref="QueueClient"/> and <see cref="SlotTransport"/>
/// (docs/notifications.md, "The queue server").
/// </summary>
public static class QueueProtocol
{
    /// <summary>The page-send message type a client's call slot arrives with.</summary>
    public const ulong ConnectType = 0x51;

    /// <summary>Call slot layout: state word (0 idle, 1 request, 2 reply), op, result, item length, item bytes.</summary>
    public const ulong StateOffset = 0, OpOffset = 8, ResultOffset = 16, LengthOffset = 24, ItemOffset = 32;

    /// <summary>Largest item, in bytes: what fits in a one-page call slot after its header.</summary>
    public const int MaxItemSize = 4096 - (int)ItemOffset;

    /// <summary>Slot states.</summary>
    public const ulong Idle = 0, Request = 1, Reply = 2;

    /// <summary>The server's request object: clients notify it once per call.</summary>
    public static string RequestName(string queue) => queue + "/req";

    /// <summary>Notified by the server when an item was taken and a sender waits for room.</summary>
    public static string NotFullName(string queue) => queue + "/not-full";

    /// <summary>Notified by the server when an item was added and a receiver waits for one.</summary>
    public static string NotEmptyName(string queue) => queue + "/not-empty";

    /// <summary>Never notified: it closes when the server exits, which wakes every client waiting on it.</summary>
    public static string AliveName(string queue) => queue + "/alive";

    /// <summary>A client's reply object, created by the client and opened by the server at connect.</summary>
    public static string ReplyName(string queue, int clientPid) => $"{queue}/reply/{clientPid}";
}
