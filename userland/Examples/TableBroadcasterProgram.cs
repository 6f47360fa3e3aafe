using MicroKernel.Ipc.PageSend;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Builds a table of squares in one page and shares it read-only with every other process that has a handler for
/// it (a broadcast: the same frame mapped in every receiver, read-only for them, still writable here).
/// </summary>
public sealed class TableBroadcasterProgram : UserProgram
{
    /// <summary>The message type of the table.</summary>
    public const ulong Type = 2;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        ulong table = sys.Map(4096);
        for (ulong i = 0; i < 512; i++) sys.Memory.WriteUInt64(table + i * 8, i * i);
        sys.Sleep(3); // let the readers register
        int receivers = sys.Send(0, Type, table, 1, SendFlags.SenderKeeps | SendFlags.ToAllButSelf);
        sys.PrintLine($"broadcaster: shared the table with {receivers} processes");
        return 0;
    }
}
