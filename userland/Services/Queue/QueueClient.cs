using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// A client of a <see cref="QueueServer"/>: blocking send and receive with timeouts in virtual ticks. A call that
/// finds the queue full (empty) waits on the server's not-full (not-empty) notification, then tries again, until
/// its deadline. Results are <see cref="ErrorCode"/> values: Ok, TimedOut, QueueFull / WouldBlock (timeout 0),
/// InvalidArgument (wrong item size), ProcessExited (the server is gone).
/// </summary>
public sealed class QueueClient
{
    /// <summary>Timeout that waits as long as it takes.</summary>
    public const long Forever = -1;

    private readonly Sys _sys;
    private readonly IQueueTransport _transport;
    private readonly int _notFull, _notEmpty;

    private QueueClient(Sys sys, IQueueTransport transport, int notFull, int notEmpty)
    {
        _sys = sys;
        _transport = transport;
        _notFull = notFull;
        _notEmpty = notEmpty;
    }

    /// <summary>
    /// Connects to queue <paramref name="queue"/> served by <paramref name="serverPid"/>, waiting until the server is up,
    /// through RPC when the server exported the queue, else through a call slot.
    /// </summary>
    public static QueueClient Connect(Sys sys, int serverPid, string queue)
    {
        int alive = Notification.OpenWhenCreated(sys, QueueProtocol.AliveName(queue)).Handle;
        long service = Rpc.TryLookup(RpcTransport.ServiceName(queue));
        IQueueTransport t = service >= 0 ? RpcTransport.Connect(sys, queue, service, alive) : SlotTransport.Connect(sys, serverPid, queue, alive);
        int notFull = sys.NotifyCreate(QueueProtocol.NotFullName(queue), Ipc.Notify.NotifyFlags.Open);
        int notEmpty = sys.NotifyCreate(QueueProtocol.NotEmptyName(queue), Ipc.Notify.NotifyFlags.Open);
        return new QueueClient(sys, t, notFull, notEmpty);
    }

    /// <summary>Appends <paramref name="item"/>, waiting up to <paramref name="timeout"/> ticks for room (0 = try once).</summary>
    public ErrorCode Send(ReadOnlySpan<byte> item, long timeout = Forever) =>
        Blocking(QueueOp.Send, item, [], timeout, _notFull, ErrorCode.QueueFull);

    /// <summary>Takes the oldest item into <paramref name="item"/>, waiting up to <paramref name="timeout"/> ticks for one.</summary>
    public ErrorCode Receive(Span<byte> item, long timeout = Forever) =>
        Blocking(QueueOp.Receive, [], item, timeout, _notEmpty, ErrorCode.WouldBlock);

    /// <summary>The transport in use.</summary>
    public IQueueTransport Transport => _transport;

    /// <summary>Items in the queue now (negative = error).</summary>
    public long Count() => _transport.Call(QueueOp.Count, [], []);

    /// <summary>Asks the server to exit once it has replied.</summary>
    public ErrorCode Shutdown()
    {
        long r = _transport.Call(QueueOp.Shutdown, [], []);
        return r < 0 ? (ErrorCode)r : ErrorCode.Ok;
    }

    /// <summary>Disconnects and releases this client's handles and call slot.</summary>
    public void Close()
    {
        _transport.Close();
        _sys.NotifyClose(_notFull);
        _sys.NotifyClose(_notEmpty);
    }

    private ErrorCode Blocking(QueueOp op, ReadOnlySpan<byte> input, Span<byte> output, long timeout, int condition, ErrorCode busy)
    {
        long deadline = timeout > 0 ? _sys.Time + timeout : 0;
        while (true)
        {
            long r = _transport.Call(op, input, output);
            if (r >= 0) return ErrorCode.Ok;
            if (r != (long)busy) return (ErrorCode)r;
            if (timeout == 0) return busy;
            long wait = -1;
            if (timeout > 0 && (wait = deadline - _sys.Time) <= 0) return ErrorCode.TimedOut;
            // The server counted us as a waiter and notifies once per freed slot / new item; a stale notify (from a
            // waiter that timed out) only costs one extra try. "alive" fires only when the server exits.
            long fired = _sys.RawWaitAny([condition, _transport.AliveHandle], wait);
            if (fired == (long)ErrorCode.TimedOut) return ErrorCode.TimedOut;
            if (fired != 0) return ErrorCode.ProcessExited;
        }
    }
}
