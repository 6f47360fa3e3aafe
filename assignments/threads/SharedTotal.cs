using System.Globalization;
using MicroKernel.Userland.Runtime;

[assembly: ProgramNamespace("Threads")]

namespace Threads;

/// <summary>
/// Assignment "threads" (README.md): sums 1..N with T worker threads that all add into ONE shared total in
/// simulated memory. Arguments: N T.
/// </summary>
public sealed class SharedTotal : UserProgram
{
    public override long Main(Sys sys)
    {
        ulong n = ulong.Parse(sys.Args[0], CultureInfo.InvariantCulture);
        ulong threads = ulong.Parse(sys.Args[1], CultureInfo.InvariantCulture);
        ulong data = sys.Map(n * 8);
        ulong total = sys.Map(8); // the shared total: every worker adds into this word
        for (ulong i = 0; i < n; i++) sys.Memory.WriteUInt64(data + i * 8, i + 1);

        // TODO: start `threads` workers with sys.CreateThread. Worker k adds the elements of its slice of `data`
        // (about n / threads of them; together the slices cover all n) into the word at `total`, ONE ELEMENT AT A TIME
        // (read the total, add, write it back), prints "worker k done", and returns 0. Then wait for every worker
        // with sys.Join. A preemption can fall between a worker's read and its write: protect the update with a lock
        // (Notification.CreateLock, Acquire, Release; docs/notifications.md).

        sys.PrintLine($"total {sys.Memory.ReadUInt64(total)}");
        return 0;
    }
}
