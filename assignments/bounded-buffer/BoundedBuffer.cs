using System.Globalization;
using MicroKernel.Userland.Runtime;

[assembly: ProgramNamespace("BoundedBuffer")]

namespace BoundedBuffer;

/// <summary>
/// Assignment "bounded-buffer" (README.md): a producer thread passes the numbers 1..N to the consumer (main) through
/// a ring of C slots in simulated memory. Arguments: N C.
/// </summary>
public sealed class Pipeline : UserProgram
{
    public override long Main(Sys sys)
    {
        long n = long.Parse(sys.Args[0], CultureInfo.InvariantCulture);
        ulong capacity = ulong.Parse(sys.Args[1], CultureInfo.InvariantCulture);
        ulong ring = sys.Map(capacity * 8);

        // TODO: create the notifications you need (Notification.Create: a counting semaphore; docs/notifications.md),
        // e.g. one counting free slots (notify it C times first) and one counting filled slots.
        int producer = sys.CreateThread((s, _) =>
        {
            for (long i = 1; i <= n; i++)
            {
                // TODO: wait for a free slot before writing, and announce the filled slot after.
                s.Memory.WriteUInt64(ring + (ulong)(i - 1) % capacity * 8, (ulong)i);
            }
            return 0;
        });

        long sum = 0, inOrder = 1;
        for (long i = 1; i <= n; i++)
        {
            // TODO: wait for a filled slot before reading, and announce the free slot after.
            long item = (long)sys.Memory.ReadUInt64(ring + (ulong)(i - 1) % capacity * 8);
            sum += item;
            if (item != i) inOrder = 0;
        }
        sys.Join(producer);
        sys.PrintLine($"consumed {n} items, sum {sum}, {(inOrder == 1 ? "in order" : "OUT OF ORDER")}");
        return inOrder == 1 ? 0 : 1;
    }
}
