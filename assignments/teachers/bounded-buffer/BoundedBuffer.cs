using System.Globalization;
using MicroKernel.Userland.Runtime;

[assembly: ProgramNamespace("BoundedBuffer")]

namespace BoundedBuffer;

/// <summary>
/// Reference solution of assignment "bounded-buffer": two counting notifications, free slots (C at the start) and
/// filled slots (0), around a ring of C words. Arguments: N C.
/// </summary>
public sealed class Pipeline : UserProgram
{
    public override long Main(Sys sys)
    {
        long n = long.Parse(sys.Args[0], CultureInfo.InvariantCulture);
        ulong capacity = ulong.Parse(sys.Args[1], CultureInfo.InvariantCulture);
        ulong ring = sys.Map(capacity * 8);

        Notification free = Notification.Create(sys);
        Notification filled = Notification.Create(sys);
        free.Notify((long)capacity);
        int producer = sys.CreateThread((s, _) =>
        {
            Notification myFree = free.On(s), myFilled = filled.On(s);
            for (long i = 1; i <= n; i++)
            {
                myFree.Wait();
                s.Memory.WriteUInt64(ring + (ulong)(i - 1) % capacity * 8, (ulong)i);
                myFilled.Notify();
            }
            return 0;
        });

        long sum = 0, inOrder = 1;
        for (long i = 1; i <= n; i++)
        {
            filled.Wait();
            long item = (long)sys.Memory.ReadUInt64(ring + (ulong)(i - 1) % capacity * 8);
            free.Notify();
            sum += item;
            if (item != i) inOrder = 0;
        }
        sys.Join(producer);
        sys.PrintLine($"consumed {n} items, sum {sum}, {(inOrder == 1 ? "in order" : "OUT OF ORDER")}");
        return inOrder == 1 ? 0 : 1;
    }
}
