namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// The queue server's RPC interface (<see cref="RpcTransport"/>): one method, the operation as a number, the item in
/// the caller's SHARED buffer.
/// </summary>
public interface IQueueService
{
    /// <summary>Runs <paramref name="op"/> (a <see cref="QueueOp"/>) with the item of <paramref name="length"/> bytes at <paramref name="buffer"/>.</summary>
    long Call(long op, ulong buffer, long length);
}
