using System.Globalization;
using MicroKernel.Userland.Runtime;

[assembly: ProgramNamespace("Threads")]

namespace Threads;

/// <summary>
/// Reference solution of assignment "threads": T workers add 1..N element by element into one shared word, each
/// update under a robust lock, then main joins them all. Arguments: N T.
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

        Notification totalLock = Notification.CreateLock(sys);
        var tids = new List<int>();
        for (ulong k = 0; k < threads; k++)
        {
            tids.Add(sys.CreateThread((s, worker) =>
            {
                Notification mine = totalLock.On(s);
                ulong from = worker * n / threads, to = (worker + 1) * n / threads;
                for (ulong i = from; i < to; i++)
                {
                    mine.Acquire();
                    s.Memory.WriteUInt64(total, s.Memory.ReadUInt64(total) + s.Memory.ReadUInt64(data + i * 8));
                    mine.Release();
                }
                s.PrintLine($"worker {worker} done");
                return 0;
            }, k));
        }
        foreach (int tid in tids) sys.Join(tid);

        sys.PrintLine($"total {sys.Memory.ReadUInt64(total)}");
        return 0;
    }
}
