using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Receives items from a queue server until an end marker (arguments: server pid, queue name, checker pid, producers,
/// items per producer), then moves a page with a bitmap of what it got to the checker.
/// </summary>
public sealed class QueueConsumerProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int server = QueueItems.Int(sys, 0, 1);
        string queue = QueueItems.Queue(sys, 1);
        int checker = QueueItems.Int(sys, 2, 2);
        int producers = QueueItems.Int(sys, 3, 1), perProducer = QueueItems.Int(sys, 4, 10);
        if ((long)producers * perProducer > (4096 - QueueItems.TallyHeader) * 8L) return 2;
        QueueClient q = QueueClient.Connect(sys, server, queue);
        ulong tally = sys.Map(4096);
        ulong received = 0, duplicates = 0, corrupt = 0;
        var item = new byte[QueueItems.Size];
        while (true)
        {
            ErrorCode e = q.Receive(item);
            if (e != ErrorCode.Ok)
            {
                sys.PrintLine($"consumer: receive failed: {e}");
                return 1;
            }
            (uint p, uint s, bool intact) = QueueItems.Parse(item);
            if (p == QueueItems.EndMarker) break;
            received++;
            if (!intact || p >= producers || s >= perProducer)
            {
                corrupt++;
                continue;
            }
            long bit = (long)p * perProducer + s;
            ulong at = tally + QueueItems.TallyHeader + (ulong)(bit / 8);
            byte b = sys.Memory.ReadByte(at);
            if ((b & (1 << (int)(bit % 8))) != 0) duplicates++;
            sys.Memory.WriteByte(at, (byte)(b | (1 << (int)(bit % 8))));
        }
        q.Close();
        sys.Memory.WriteUInt64(tally, received);
        sys.Memory.WriteUInt64(tally + 8, duplicates);
        sys.Memory.WriteUInt64(tally + 16, corrupt);
        sys.Send(checker, QueueItems.TallyType, tally, 1, Ipc.PageSend.SendFlags.Block);
        sys.PrintLine($"consumer: received {received} items");
        return 0;
    }
}
