using MicroKernel.Ipc.PageSend;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Moves batches of pages to a consumer (arguments: consumer pid, batch count). Each batch is 2 pages filled with a
/// recognisable pattern; after send() the pages are gone from this address space (a move), so the producer maps
/// fresh ones for the next batch. A full consumer queue blocks the producer (the Block flag).
/// </summary>
public sealed class PipeProducerProgram : UserProgram
{
    /// <summary>The message type the pipe uses.</summary>
    public const ulong Type = 1;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int consumer = sys.Args.Count > 0 ? int.Parse(sys.Args[0], System.Globalization.CultureInfo.InvariantCulture) : 1;
        int batches = sys.Args.Count > 1 ? int.Parse(sys.Args[1], System.Globalization.CultureInfo.InvariantCulture) : 4;
        sys.Sleep(2); // let the consumer register its handler
        for (int b = 0; b < batches; b++)
        {
            ulong pages = sys.Map(2 * 4096);
            for (ulong i = 0; i < 2 * 512; i++) sys.Memory.WriteUInt64(pages + i * 8, (ulong)b * 1_000_000 + i);
            sys.Send(consumer, Type, pages, 2, SendFlags.Block);
            sys.PrintLine($"producer: moved batch {b} (2 pages from 0x{pages:x})");
        }
        return 0;
    }
}
