using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Receives page batches from a producer (argument: how many to wait for). The handler checks the pattern, keeps
/// even batches (accept: the pages stay mapped here) and abandons odd ones (the kernel frees them).
/// </summary>
public sealed class PipeConsumerProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int expected = sys.Args.Count > 0 ? int.Parse(sys.Args[0], System.Globalization.CultureInfo.InvariantCulture) : 4;
        int received = 0, bad = 0;
        sys.RegisterHandler(PipeProducerProgram.Type, (s, m) =>
        {
            ulong first = s.Memory.ReadUInt64(m.Address);
            ulong batch = first / 1_000_000;
            for (ulong i = 0; i < m.Pages * 512; i++)
                if (s.Memory.ReadUInt64(m.Address + i * 8) != batch * 1_000_000 + i) bad++;
            received++;
            bool keep = batch % 2 == 0;
            s.PrintLine($"consumer: batch {batch} from pid {m.SenderPid} at 0x{m.Address:x}, {m.Pages} pages, {(keep ? "accepted" : "abandoned")}");
            return keep;
        });
        while (received < expected) sys.Pause();
        sys.PrintLine($"consumer: {received} batches, {bad} bad words");
        return bad == 0 ? 0 : 1;
    }
}
