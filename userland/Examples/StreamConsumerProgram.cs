using System.Globalization;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// A consumer behind a memory boundary in the <c>streams</c> scenario. Arguments: its name, then <c>crash=N</c> to
/// crash (a wild write) after N frames, as the low-safety analytics consumer does. It binds its segment handler to a
/// boundary destination with its own pool of 4 packets and a FIFO, says it is ready, and consumes until the end
/// marker: every frame in order, its pattern intact.
/// </summary>
public sealed class StreamConsumerProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        string name = sys.Args.Count > 0 ? sys.Args[0] : "recorder";
        int crashAt = sys.Args.Count > 1 && sys.Args[1].StartsWith("crash=", StringComparison.Ordinal)
            ? int.Parse(sys.Args[1].AsSpan(6), CultureInfo.InvariantCulture) : -1;
        PacketLayout layout = StreamSetup.Reconcile([StreamsDemo.Consumer(name)]);
        var pool = PacketPool.Create(sys, name, layout, 4);
        var fifo = new FifoQueue(4);
        var destination = new BoundaryDestination("boundary:" + name, pool, fifo);
        sys.RegisterSegmentHandler((s, m) => destination.OnSegment(s, m));
        Notification.Create(sys, StreamsDemo.ReadyName(sys.Pid)).Notify();

        long consumed = 0, outOfOrder = 0, corrupt = 0;
        for (int idle = 0; idle < 400; idle++)
        {
            while (fifo.TryPop(out Packet p))
            {
                if (p.Sequence != (ulong)consumed + 1) outOfOrder++;
                if (!StreamsDemo.Intact(sys, p)) corrupt++;
                consumed++;
                p.Release();
                idle = 0;
                if (consumed == crashAt)
                {
                    sys.PrintLine(Text($"{name}: crashing after {consumed} frames (a wild write)"));
                    sys.Memory.WriteUInt64(0x10, 1);
                }
            }
            if (destination.Ended) break;
            sys.Pause(8);
        }
        sys.PrintLine(Text($"{name}: {consumed} frames in order ({outOfOrder} out of order, {corrupt} corrupt), {destination.Dropped} dropped on this side, end {(destination.Ended ? "received" : "NOT received")}"));
        return destination.Ended && outOfOrder == 0 && corrupt == 0 ? 0 : 1;
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
