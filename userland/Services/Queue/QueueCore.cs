using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// The queue itself, independent of how calls reach it: a bounded FIFO of fixed-size items and its bookkeeping,
/// all in the server process's user memory (page 0: head, count, waiting senders, waiting receivers, items in,
/// items out, stop flag, lock recoveries; then the ring). No mutable state of the queue lives in C# fields: an
/// RPC method runs on a client's host thread, so a field written there would be one process writing another's host
/// object; the fields below are constants set before the queue is exported. <see cref="Execute"/> runs one operation through whichever
/// <see cref="Sys"/> acts for the server now: the server's own thread (slot transport) or a client's thread inside
/// an RPC method (RPC transport), whose accesses then go through the grant.
/// </summary>
public sealed class QueueCore
{
    private const ulong Head = 0, Count = 8, SendersWaiting = 16, ReceiversWaiting = 24, ItemsIn = 32, ItemsOut = 40, Stop = 48, LockRecoveries = 56;
    private readonly ulong _state, _ring;
    private readonly int _notFull, _notEmpty;

    /// <summary>Maps the queue's memory and creates its public not-full and not-empty objects.</summary>
    public QueueCore(Sys sys, string name, int capacity, int itemSize)
    {
        Name = name;
        Capacity = capacity;
        ItemSize = itemSize;
        _state = sys.Map(4096 + (ulong)(((long)capacity * itemSize + 4095) / 4096 * 4096));
        _ring = _state + 4096;
        _notFull = sys.NotifyCreate(QueueProtocol.NotFullName(name));
        _notEmpty = sys.NotifyCreate(QueueProtocol.NotEmptyName(name));
    }

    /// <summary>The queue's name.</summary>
    public string Name { get; }

    /// <summary>Most items it holds.</summary>
    public int Capacity { get; }

    /// <summary>Bytes per item.</summary>
    public int ItemSize { get; }

    /// <summary>True once a client asked for shutdown.</summary>
    public bool Stopped(Sys sys) => sys.Memory.ReadUInt64(_state + Stop) != 0;

    /// <summary>Calls that found the queue's lock released by a client killed in the middle of its call.</summary>
    public long Recoveries(Sys sys) => (long)sys.Memory.ReadUInt64(_state + LockRecoveries);

    /// <summary>Counts one lock recovery (in the server's memory, through <paramref name="sys"/>).</summary>
    public void RecordRecovery(Sys sys) => Add(sys.Memory, LockRecoveries, 1);

    /// <summary>"N items in, M out, K left", read through <paramref name="sys"/>.</summary>
    public string Summary(Sys sys) =>
        $"{sys.Memory.ReadUInt64(_state + ItemsIn)} items in, {sys.Memory.ReadUInt64(_state + ItemsOut)} out, {sys.Memory.ReadUInt64(_state + Count)} left";

    /// <summary>
    /// Runs <paramref name="op"/>: never blocks. Send: 0, or QueueFull (the caller is counted as a waiting sender and
    /// will get one not-full notify). Receive: the item size, the item in <paramref name="output"/>, or WouldBlock
    /// (counted as a waiting receiver). Count: the item count. Disconnect and Shutdown: 0.
    /// </summary>
    public long Execute(Sys sys, QueueOp op, ReadOnlySpan<byte> input, Span<byte> output)
    {
        UserMemory m = sys.Memory;
        ulong head = m.ReadUInt64(_state + Head), count = m.ReadUInt64(_state + Count);
        switch (op)
        {
            case QueueOp.Send:
                if (input.Length != ItemSize) return (long)ErrorCode.InvalidArgument;
                if (count == (ulong)Capacity)
                {
                    Add(m, SendersWaiting, 1);
                    return (long)ErrorCode.QueueFull;
                }
                m.Write(_ring + (head + count) % (ulong)Capacity * (ulong)ItemSize, input);
                m.WriteUInt64(_state + Count, count + 1);
                Add(m, ItemsIn, 1);
                WakeOne(sys, ReceiversWaiting, _notEmpty);
                return 0;
            case QueueOp.Receive:
                if (output.Length < ItemSize) return (long)ErrorCode.InvalidArgument;
                if (count == 0)
                {
                    Add(m, ReceiversWaiting, 1);
                    return (long)ErrorCode.WouldBlock;
                }
                m.Read(_ring + head * (ulong)ItemSize, output[..ItemSize]);
                m.WriteUInt64(_state + Head, (head + 1) % (ulong)Capacity);
                m.WriteUInt64(_state + Count, count - 1);
                Add(m, ItemsOut, 1);
                WakeOne(sys, SendersWaiting, _notFull);
                return ItemSize;
            case QueueOp.Count:
                return (long)count;
            case QueueOp.Disconnect:
                return 0;
            case QueueOp.Shutdown:
                m.WriteUInt64(_state + Stop, 1);
                return 0;
            default:
                return (long)ErrorCode.InvalidArgument;
        }
    }

    private void Add(UserMemory m, ulong field, ulong delta) => m.WriteUInt64(_state + field, m.ReadUInt64(_state + field) + delta);

    // One notify per client that was told "full"/"empty": counted, so it is not lost if the client is not waiting yet.
    private void WakeOne(Sys sys, ulong waitingField, int handle)
    {
        ulong waiting = sys.Memory.ReadUInt64(_state + waitingField);
        if (waiting == 0) return;
        sys.Memory.WriteUInt64(_state + waitingField, waiting - 1);
        sys.Syscall(SyscallNumber.Notify, (ulong)handle, 1);
    }
}
