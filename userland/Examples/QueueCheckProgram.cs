using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Checks a queue run end to end (arguments: server pid, queue name, producers, items per producer, consumers): counts
/// the producers' "done" notifies, sends one end marker per consumer, merges the consumers' bitmaps and prints
/// whether every item arrived exactly once; then shuts the queue server down. Exit code 0 only if all is well.
/// </summary>
public sealed class QueueCheckProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int server = QueueItems.Int(sys, 0, 1);
        string queue = QueueItems.Queue(sys, 1);
        int producers = QueueItems.Int(sys, 2, 1), perProducer = QueueItems.Int(sys, 3, 10), consumers = QueueItems.Int(sys, 4, 1);
        int total = producers * perProducer;
        var seen = new int[total];
        long received = 0, duplicates = 0, corrupt = 0;
        int tallies = 0;
        sys.RegisterHandler(QueueItems.TallyType, (s, m) =>
        {
            received += (long)s.Memory.ReadUInt64(m.Address);
            duplicates += (long)s.Memory.ReadUInt64(m.Address + 8);
            corrupt += (long)s.Memory.ReadUInt64(m.Address + 16);
            byte[] bits = s.Memory.ReadBytes(m.Address + QueueItems.TallyHeader, (total + 7) / 8);
            for (int i = 0; i < total; i++)
                if ((bits[i / 8] & (1 << (i % 8))) != 0) seen[i]++;
            tallies++;
            return false; // read it; the kernel frees the page
        });
        var done = Notification.Create(sys, queue + "/producers-done");
        for (int i = 0; i < producers; i++) done.Wait(); // counting: producers finishing before this wait are not lost
        QueueClient q = QueueClient.Connect(sys, server, queue);
        for (int i = 0; i < consumers; i++)
            if (q.Send(QueueItems.Make(QueueItems.EndMarker, (uint)i)) != ErrorCode.Ok) return 1;
        while (tallies < consumers) sys.Pause();
        int once = seen.Count(c => c == 1), missing = seen.Count(c => c == 0);
        duplicates += seen.Where(c => c > 1).Sum(c => c - 1);
        bool ok = once == total && duplicates == 0 && corrupt == 0 && received == total;
        sys.PrintLine($"queue check: {once} of {total} items arrived exactly once ({missing} missing, {duplicates} duplicated, {corrupt} corrupt) "
            + $"from {producers} producers through {consumers} consumers: {(ok ? "OK" : "FAILED")}");
        q.Shutdown();
        done.Close();
        return ok ? 0 : 1;
    }
}
