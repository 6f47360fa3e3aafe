using System.Globalization;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Services.Queue;

/// <summary>
/// A queue server like the one the CMRX RTOS ships as a userspace service: a bounded FIFO of fixed-size items kept
/// in this process's own memory (clients cannot touch it), operated on by calls through <see cref="SlotTransport"/>.
/// The server never blocks for a client: a send to a full queue or a receive from an empty one fails at once, and
/// the client then waits on the not-full / not-empty notification object, which the server notifies once per
/// waiting client when room or an item appears. Arguments: queue name, capacity (items), item size (bytes).
/// </summary>
public sealed class QueueServer : UserProgram
{
    /// <summary>Most items a queue may hold.</summary>
    public const int MaxCapacity = 4096;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        string name = sys.Args.Count > 0 ? sys.Args[0] : "queue";
        int capacity = sys.Args.Count > 1 ? int.Parse(sys.Args[1], CultureInfo.InvariantCulture) : 8;
        int itemSize = sys.Args.Count > 2 ? int.Parse(sys.Args[2], CultureInfo.InvariantCulture) : 16;
        if (capacity is < 1 or > MaxCapacity || itemSize is < 1 or > QueueProtocol.MaxItemSize) return 2;

        var ring = new Ring(sys, capacity, itemSize);
        int notFull = sys.NotifyCreate(QueueProtocol.NotFullName(name));
        int notEmpty = sys.NotifyCreate(QueueProtocol.NotEmptyName(name));
        sys.NotifyCreate(QueueProtocol.AliveName(name));
        // Clients told "full" (or "empty") that promised to wait: each room (item) made wakes one of them.
        long sendersWaiting = 0, receiversWaiting = 0, sent = 0, received = 0;
        var transport = new SlotTransport.Server(sys, name); // created last: clients connect once it exists

        bool running = true;
        while (running)
        {
            transport.ServeOne((pid, op, input, output) =>
            {
                switch (op)
                {
                    case QueueOp.Send:
                        if (input.Length != itemSize) return (long)ErrorCode.InvalidArgument;
                        if (ring.Count == capacity)
                        {
                            sendersWaiting++;
                            return (long)ErrorCode.QueueFull;
                        }
                        ring.Push(input);
                        sent++;
                        if (receiversWaiting > 0)
                        {
                            receiversWaiting--;
                            sys.Notify(notEmpty);
                        }
                        return 0;
                    case QueueOp.Receive:
                        if (ring.Count == 0)
                        {
                            receiversWaiting++;
                            return (long)ErrorCode.WouldBlock;
                        }
                        ring.Pop(output[..itemSize]);
                        received++;
                        if (sendersWaiting > 0)
                        {
                            sendersWaiting--;
                            sys.Notify(notFull);
                        }
                        return itemSize;
                    case QueueOp.Count:
                        return ring.Count;
                    case QueueOp.Disconnect:
                        return 0;
                    case QueueOp.Shutdown:
                        running = false;
                        return 0;
                    default:
                        return (long)ErrorCode.InvalidArgument;
                }
            });
        }
        sys.PrintLine($"queue server '{name}': {sent} items in, {received} out, {ring.Count} left");
        return 0; // exit closes every object: clients still waiting get ObjectClosed, then ProcessExited
    }

    // The FIFO itself, in this process's user memory.
    private sealed class Ring(Sys sys, int capacity, int itemSize)
    {
        private readonly ulong _base = sys.Map((ulong)(((long)capacity * itemSize + 4095) / 4096 * 4096));
        private int _head;

        public int Count { get; private set; }

        public void Push(ReadOnlySpan<byte> item)
        {
            sys.Memory.Write(_base + (ulong)(((_head + Count) % capacity) * itemSize), item);
            Count++;
        }

        public void Pop(Span<byte> item)
        {
            sys.Memory.Read(_base + (ulong)(_head * itemSize), item);
            _head = (_head + 1) % capacity;
            Count--;
        }
    }
}
