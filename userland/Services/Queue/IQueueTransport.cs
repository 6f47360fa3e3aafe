namespace MicroKernel.Userland.Services.Queue;

/// <summary>How a <see cref="QueueClient"/>'s calls reach the queue server (<see cref="SlotTransport"/>, <see cref="RpcTransport"/>).</summary>
public interface IQueueTransport
{
    /// <summary>The server's "alive" object (closes when the server exits); clients wait on it next to their own.</summary>
    int AliveHandle { get; }

    /// <summary>
    /// One call: the server's result (negative = error; ProcessExited when the server is gone); for a receive, the
    /// item lands in <paramref name="reply"/>.
    /// </summary>
    long Call(QueueOp op, ReadOnlySpan<byte> item, Span<byte> reply);

    /// <summary>Leaves and releases what the connection holds.</summary>
    void Close();
}
