using System.Globalization;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// A consumer behind a memory boundary in the <c>streams</c> scenario. Arguments: its name, then optionally
/// <c>source=PID</c> (the camera's pid, 1 by default) and <c>crash=N</c> to crash (a wild write) after N frames, as
/// the low-safety analytics consumer does. It binds its segment handler to a boundary destination whose own pool of
/// 4 packets lives in a segment it owns on its connection with the camera, says it is ready, and consumes until the
/// end marker, woken by its own notification: every frame in order, its pattern intact. Then it gives the end
/// marker back, which lets the camera exit (and tear the connection down with this side's pool).
/// </summary>
public sealed class StreamConsumerProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        string name = sys.Args.Count > 0 ? sys.Args[0] : "recorder";
        int crashAt = Option(sys, "crash=", -1), source = Option(sys, "source=", 1);
        PacketLayout layout = StreamSetup.Reconcile([StreamsDemo.Consumer(name)]);
        var fifo = new FifoQueue(4);
        var destination = BoundaryDestination.Create(sys, "boundary:" + name, source, layout, 4, fifo);
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
            destination.WaitForPackets(8);
        }
        destination.Finish(sys);
        sys.PrintLine(Text($"{name}: {consumed} frames in order ({outOfOrder} out of order, {corrupt} corrupt), {destination.Dropped} dropped on this side, end {(destination.Ended ? "received" : "NOT received")}"));
        return destination.Ended && outOfOrder == 0 && corrupt == 0 ? 0 : 1;
    }

    private static int Option(Sys sys, string prefix, int fallback)
    {
        foreach (string a in sys.Args)
            if (a.StartsWith(prefix, StringComparison.Ordinal)) return int.Parse(a.AsSpan(prefix.Length), CultureInfo.InvariantCulture);
        return fallback;
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
