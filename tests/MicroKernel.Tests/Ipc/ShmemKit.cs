using MicroKernel.Invariants;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>
/// What the shared-memory test classes share: a kernel that checks the invariants at every syscall, a raw syscall
/// (its error code, not an exception), and a peer that serves segments until told to stop, with the two public
/// notification objects the pair synchronises on ("ready" and "stop").
/// </summary>
internal static class ShmemKit
{
    /// <summary>A paging kernel of 512 frames whose invariants run at every syscall.</summary>
    public static Kernel Boot() => new(new KernelConfig { Frames = 512, MaxTicks = 200_000, Check = CheckLevel.Syscall });

    /// <summary>Syscall <paramref name="n"/> as the program makes it: the result, an error code included.</summary>
    public static long Raw(Sys sys, SyscallNumber n, ulong a0 = 0, ulong a1 = 0, ulong a2 = 0) => sys.Syscall(n, a0, a1, a2);

    /// <summary>
    /// A peer: runs <paramref name="setUp"/> (if any), binds <paramref name="handler"/>, says "ready", and polls "stop"
    /// with yields, never blocking, so that a handler may wait itself.
    /// </summary>
    public static Func<Sys, long> Peer(Func<Sys, SegmentMessage, long> handler, Action<Sys>? setUp = null) => sys =>
    {
        setUp?.Invoke(sys);
        sys.RegisterSegmentHandler(handler);
        var stop = Notification.Create(sys, "stop");
        Notification.Create(sys, "ready").Notify();
        while (!stop.Wait(0)) sys.Yield();
        return 0;
    };

    /// <summary>Waits until the peer said "ready".</summary>
    public static void AwaitPeer(Sys sys) => Notification.OpenWhenCreated(sys, "ready").Wait();

    /// <summary>Tells the peer to end.</summary>
    public static void StopPeer(Sys sys) => Notification.Open(sys, "stop").Notify();
}
