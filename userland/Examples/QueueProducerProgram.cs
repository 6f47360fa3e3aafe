using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Sends items into a queue server's queue, blocking while it is full (arguments: server pid, queue name, producer
/// index, item count). When done it notifies "QUEUE/producers-done" once, which the checker counts.
/// </summary>
public sealed class QueueProducerProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int server = QueueItems.Int(sys, 0, 1);
        string queue = QueueItems.Queue(sys, 1);
        uint index = (uint)QueueItems.Int(sys, 2, 0);
        int count = QueueItems.Int(sys, 3, 10);
        QueueClient q = QueueClient.Connect(sys, server, queue);
        var done = Notification.OpenWhenCreated(sys, queue + "/producers-done");
        for (uint i = 0; i < count; i++)
        {
            ErrorCode e = q.Send(QueueItems.Make(index, i));
            if (e != ErrorCode.Ok)
            {
                sys.PrintLine($"producer {index}: send {i} failed: {e}");
                return 1;
            }
        }
        sys.PrintLine($"producer {index}: sent {count} items");
        q.Close();
        done.Notify();
        done.Close();
        return 0;
    }
}
