namespace MicroKernel.Userland.Examples;

/// <summary>
/// The seed's protocol UsesShmem (docs/shmem.md), as message types: the parent gives the child a segment
/// (HereYouGo, async), the child lends it back for one synchronous call (GiveAndGetBack) and then returns it for good
/// (ThanksDone, async).
/// </summary>
public static class ShmemProtocol
{
    /// <summary>async HereYouGo(Shmem s): parent -> child.</summary>
    public const ulong HereYouGo = 1;

    /// <summary>sync GiveAndGetBack(Shmem s) returns (Shmem ss): child -> parent and back.</summary>
    public const ulong GiveAndGetBack = 2;

    /// <summary>async ThanksDone(Shmem s): child -> parent.</summary>
    public const ulong ThanksDone = 3;

    /// <summary>
    /// The public notification the child creates once its segment handler is bound: "shmem-ready-PID" with the
    /// child's pid, so several pairs can run side by side (the C example uses the same name).
    /// </summary>
    public static string ReadyName(int childPid) => string.Create(System.Globalization.CultureInfo.InvariantCulture, $"shmem-ready-{childPid}");

    /// <summary>The segment's size: 10000 bytes, as in the seed's AllocShmem(&amp;mShmem, 10000).</summary>
    public const ulong Size = 10000;
}
