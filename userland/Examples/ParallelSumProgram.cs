using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Splits an array in user memory between worker threads (thread_create), each writing its partial sum into a
/// shared result slot, then joins them and checks the total: threads of one process share one address space.
/// </summary>
public sealed class ParallelSumProgram : UserProgram
{
    private const int Workers = 3, PerWorker = 600;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        ulong data = sys.Map(Workers * PerWorker * 8);
        ulong results = sys.Map(Workers * 8);
        for (ulong i = 0; i < Workers * PerWorker; i++) sys.Memory.WriteUInt64(data + i * 8, i + 1);
        var tids = new List<int>();
        for (ulong w = 0; w < Workers; w++)
        {
            tids.Add(sys.CreateThread((s, worker) =>
            {
                ulong sum = 0;
                for (ulong i = worker * PerWorker; i < (worker + 1) * PerWorker; i++) sum += s.Memory.ReadUInt64(data + i * 8);
                s.Memory.WriteUInt64(results + worker * 8, sum);
                s.PrintLine($"worker {worker} (tid {s.Tid}) summed {sum}");
                return (long)worker;
            }, w));
        }
        foreach (int tid in tids) sys.Join(tid);
        ulong total = 0;
        for (ulong w = 0; w < Workers; w++) total += sys.Memory.ReadUInt64(results + w * 8);
        const ulong expected = Workers * PerWorker * (Workers * PerWorker + 1UL) / 2;
        sys.PrintLine($"total {total} (expected {expected})");
        return total == expected ? 0 : 1;
    }
}
