using System.Globalization;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Streams;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The producer side of the <c>streams</c> scenario (docs/streams.md). Arguments: frames, the recorder's pid, the
/// analytics consumer's pid, the display's pid. Setup: it reconciles its own, the display's and the two boundaries'
/// exported attributes into one layout and makes a pool of 4 packets in an unsafe segment shared with the display's
/// process (the same memory domain). Streaming: each frame goes to a multicast whose outputs are the display (by
/// reference: a descriptor in the pool's ring) and two boundary sources (copies into owned segments for the
/// recorder and the analytics consumer). The display may hold at most 2 of the 4 packets, so a display that stalls
/// cannot starve the boundaries; the camera waits 200 ticks for it at the end, then destroys the pool's segment and
/// takes back what it held. At the end it prints the account.
/// </summary>
public sealed class StreamCameraProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int frames = Arg(sys, 0, 24), recorderPid = Arg(sys, 1, 2), analyticsPid = Arg(sys, 2, 3), displayPid = Arg(sys, 3, 4);
        BoundarySource? recorder = null, analytics = null;
        sys.RegisterSegmentHandler((_, m) =>
        {
            if (recorder?.OnSegment(m) != true) analytics?.OnSegment(m);
            return 0;
        });

        // Setup phase.
        PacketLayout layout = StreamSetup.Reconcile([
            new ElementAttributes("camera", StreamsDemo.FrameBytes, 1 << 20, 64, StreamAccess.Write),
            new ElementAttributes("display", 1024, 1 << 20, 16, StreamAccess.Read),
            StreamsDemo.Consumer("recorder").ExportAcrossBoundary("boundary:recorder"),
            StreamsDemo.Consumer("analytics").ExportAcrossBoundary("boundary:analytics"),
        ]);
        sys.PrintLine(Text($"camera: layout {layout.BufferSize} bytes, alignment {layout.Alignment}, access {layout.Access}"));
        Notification.OpenWhenCreated(sys, StreamsDemo.ReadyName(displayPid)).Wait();
        var pool = PacketPool.CreateShared(sys, "camera", layout, 4, sys.ShmConnect(displayPid));
        var display = ReferenceSource.Connect(sys, "display", pool, displayPid, 2); // at most 2 of the 4 at the display
        Notification.OpenWhenCreated(sys, StreamsDemo.ReadyName(recorderPid)).Wait();
        Notification.OpenWhenCreated(sys, StreamsDemo.ReadyName(analyticsPid)).Wait();
        recorder = BoundarySource.Connect(sys, "recorder", recorderPid, layout, 2);
        analytics = BoundarySource.Connect(sys, "analytics", analyticsPid, layout, 2);
        var multicast = new Multicast(display, recorder, analytics);

        // Streaming phase: one frame every 4 ticks.
        long poolEmpty = 0;
        for (ulong f = 1; f <= (ulong)frames; f++)
        {
            display.Reclaim(); // the buffers the display is done with
            if (!pool.TryAcquire(out Packet packet))
            {
                poolEmpty++;
                sys.Sleep(4); // the frame is skipped; the pace stays
                continue;
            }
            StreamsDemo.Fill(sys, packet, f);
            multicast.Push(packet);
            sys.Sleep(4);
        }

        // Drain: let the segments come home, then the end marker (a consumer that is gone or stuck is not waited for).
        // Each waits on this side's own notification, which the segment handler signals when a segment is home.
        recorder.WaitHome(200);
        analytics.WaitHome(200);
        recorder.TryEnd();
        analytics.TryEnd();
        recorder.WaitHome(200);
        analytics.WaitHome(200);
        // The display: the end, then every buffer back and the display detached; then the pool's segment goes.
        display.End();
        bool allBack = display.WaitDetached(200);
        display.Close();

        sys.PrintLine(Text($"camera: {frames} frames produced, {poolEmpty} skipped for want of a packet"));
        sys.PrintLine(Text($"camera: display {display.Published} of {frames} by reference (descriptors only), {multicast.Dropped(0)} refused, {(allBack ? "every buffer back" : $"it stalled: {display.TakenBack} buffers taken back when the pool's segment went")}"));
        Account(sys, recorder, multicast, 1, frames);
        Account(sys, analytics, multicast, 2, frames);
        bool clean = pool.FreeCount == pool.Count && pool.Acquired == pool.Returned;
        sys.PrintLine(Text($"camera: pool {pool.Acquired} acquired, {pool.Returned} returned, {pool.FreeCount} of {pool.Count} free: {(clean ? "no packet lost or leaked upstream" : "PACKETS LEAKED")}"));
        return clean ? 0 : 1;
    }

    // A peer gone after it got the end marker simply finished: "gone" is said only of one that went before.
    private static void Account(Sys sys, BoundarySource b, Multicast m, int output, int frames) =>
        sys.PrintLine(Text($"camera: {b.Name} {b.Sent} of {frames} copied across its boundary, {m.Dropped(output)} refused{(b.PeerGone && !b.Ended ? ", its process is gone" : "")}{(b.Ended ? ", end sent" : "")}"));

    private static int Arg(Sys sys, int i, int fallback) => sys.Args.Count > i ? int.Parse(sys.Args[i], CultureInfo.InvariantCulture) : fallback;

    private static string Text(FormattableString s) => s.ToString(CultureInfo.InvariantCulture);
}
