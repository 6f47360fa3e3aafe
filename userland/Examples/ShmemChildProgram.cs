using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The child side of the seed's UsesShmem protocol. It waits for the parent's HereYouGo, writes into the segment,
/// lends it back with GiveAndGetBack (a synchronous call: it owns the segment again when the call returns), returns
/// it for good with ThanksDone, and then (argument <c>stale</c>, the default) writes through the pointer it kept:
/// a use after send, which faults, and the fault report names the segment and its owner.
/// </summary>
public sealed class ShmemChildProgram : UserProgram
{
    private SegmentMessage? _given;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        bool stale = sys.Args.Count == 0 || sys.Args[0] == "stale";
        sys.RegisterSegmentHandler((s, m) =>
        {
            if (m.Type == ShmemProtocol.HereYouGo) _given = m;
            return 0;
        });
        Notification.Create(sys, ShmemProtocol.ReadyName(sys.Pid)).Notify();
        while (_given is null) sys.Pause();
        Shmem s = Shmem.Received(sys, _given.Value);
        sys.PrintLine($"child: HereYouGo from pid {_given.Value.SenderPid}: segment {s.Id} at 0x{s.Get():x} says '{ShmemParentProgram.Text(s)}'");
        s.Write(0, "the child was here\0\0\0\0"u8);
        long reply = s.Call(ShmemProtocol.GiveAndGetBack);
        sys.PrintLine($"child: GiveAndGetBack returned {reply}; the segment says '{ShmemParentProgram.Text(s)}'");
        s.Write(0, "thanks from the child\0"u8);
        ulong kept = s.Get();
        s.Send(ShmemProtocol.ThanksDone);
        sys.PrintLine("child: ThanksDone sent");
        if (!stale) return 0;
        sys.PrintLine("child: writing through the pointer it kept (use after send)");
        sys.Memory.WriteUInt64(kept, 1);
        sys.PrintLine("child: the write went through (wrong)");
        return 1;
    }
}
