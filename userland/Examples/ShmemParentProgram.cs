using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The parent side of the seed's UsesShmem protocol (argument: the child's pid). It makes a segment, fills it and
/// sends it to the child (HereYouGo), shows that its view refuses use after the send, answers the child's
/// GiveAndGetBack call while it owns the segment again, and takes it back for good at ThanksDone.
/// </summary>
public sealed class ShmemParentProgram : UserProgram
{
    private bool _thanked;
    private string _final = "";

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int child = sys.Args.Count > 0 ? int.Parse(sys.Args[0], System.Globalization.CultureInfo.InvariantCulture) : 2;
        sys.RegisterSegmentHandler(OnSegment);
        Notification.OpenWhenCreated(sys, ShmemProtocol.ReadyName(child)).Wait();
        int connection = sys.ShmConnect(child);
        Shmem s = Shmem.Create(sys, connection, ShmemProtocol.Size);
        s.Write(0, "hello from the parent"u8);
        sys.PrintLine($"parent: segment {s.Id} ({s.Size} bytes) at 0x{s.Get():x}, sent to pid {child} (HereYouGo)");
        s.Send(ShmemProtocol.HereYouGo);
        try
        {
            s.Get();
            sys.PrintLine("parent: get() after the send worked (wrong)");
        }
        catch (InvalidOperationException)
        {
            sys.PrintLine("parent: get() after the send is refused");
        }
        while (!_thanked) sys.Pause();
        sys.PrintLine($"parent: ThanksDone, the segment says '{_final}'");
        // Give the child time to try its stale pointer while the segment still exists.
        sys.Sleep(20);
        return 0;
    }

    // Runs like a signal on the parent's thread: it owns the segment while it runs.
    private long OnSegment(Sys sys, SegmentMessage m)
    {
        var s = Shmem.Received(sys, m);
        if (m.Type == ShmemProtocol.GiveAndGetBack)
        {
            sys.PrintLine($"parent: GiveAndGetBack from pid {m.SenderPid}: '{Text(s)}'");
            s.Write(0, "the parent had it back"u8);
            return 42;
        }
        if (m.Type == ShmemProtocol.ThanksDone)
        {
            _final = Text(s);
            _thanked = true;
        }
        return 0;
    }

    /// <summary>The NUL-terminated text at the start of a segment this process owns.</summary>
    internal static string Text(Shmem s)
    {
        var bytes = new byte[64];
        s.Read(0, bytes);
        int end = Array.IndexOf(bytes, (byte)0);
        return System.Text.Encoding.ASCII.GetString(bytes, 0, end < 0 ? bytes.Length : end);
    }
}
