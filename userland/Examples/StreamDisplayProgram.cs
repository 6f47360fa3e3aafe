using System.Globalization;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The display of the <c>streams</c> scenario: a consumer in the camera's memory domain, in its own process. Its
/// segment handler receives the camera's pool (an unsafe segment, <see cref="ReferenceProtocol.Attach"/>); it then
/// reads each frame where the camera wrote it, by reference: only descriptors move, through the pool's rings and the
/// two sides' notifications. Argument: optionally <c>stall=N</c>, to stall for <see cref="StallTicks"/> ticks while
/// it holds frame N (docs/streams.md, "A display that stalls"). At the end it detaches (every frame given back, the
/// pool never touched again), prints its account and waits until the camera destroyed the pool's segment.
/// </summary>
public sealed class StreamDisplayProgram : UserProgram
{
    /// <summary>How long a display started with <c>stall=N</c> sleeps holding frame N: longer than the camera waits.</summary>
    public const long StallTicks = 1000;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        long stallAt = -1;
        foreach (string a in sys.Args)
            if (a.StartsWith("stall=", StringComparison.Ordinal)) stallAt = long.Parse(a.AsSpan(6), CultureInfo.InvariantCulture);
        SegmentMessage? attach = null;
        sys.RegisterSegmentHandler((_, m) =>
        {
            if (m.Type == ReferenceProtocol.Attach) attach = m; // the main thread attaches: the handler only notes it
            return 0;
        });
        Notification.Create(sys, StreamsDemo.ReadyName(sys.Pid)).Notify();
        while (attach is null) sys.Pause(8);

        var fifo = new FifoQueue(4);
        var link = ReferenceDestination.Attach(sys, "display", attach.Value, fifo);
        long shown = 0, outOfOrder = 0, corrupt = 0;
        for (int idle = 0; idle < 400; idle++)
        {
            if (link.Poll() > 0) idle = 0;
            while (fifo.TryPop(out Packet frame)) // the camera's buffer, read in place
            {
                if (frame.Sequence != (ulong)shown + 1) outOfOrder++;
                if (!StreamsDemo.Intact(sys, frame)) corrupt++;
                shown++;
                if (shown == stallAt)
                {
                    sys.PrintLine(Text($"display: stalling for {StallTicks} ticks, holding frame {shown}"));
                    sys.Sleep(StallTicks); // the camera gives up on it meanwhile and destroys the pool: the release below faults
                }
                frame.Release(); // its index goes back to the camera
            }
            if (link.Ended && link.Waiting == 0) break;
            link.WaitForPackets(8);
        }
        bool ended = link.Finish(); // every frame back: from here on this side never touches the pool
        sys.PrintLine(Text($"display: {shown} frames read in place in the camera's pool ({outOfOrder} out of order, {corrupt} corrupt), end {(ended ? "received" : "NOT received")}"));
        link.WaitClosed(800); // until the camera destroyed the pool's segment (or exited)
        return ended && outOfOrder == 0 && corrupt == 0 ? 0 : 1;
    }

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
