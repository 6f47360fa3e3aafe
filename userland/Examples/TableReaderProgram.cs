using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Receives the shared table and reads from it. With the argument "write" it then tries to write into the
/// read-only page: the MMU (or MPU) refuses, and the kernel kills this process only.
/// </summary>
public sealed class TableReaderProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        bool vandal = sys.Args.Contains("write");
        ulong table = 0;
        sys.RegisterHandler(TableBroadcasterProgram.Type, (s, m) =>
        {
            table = m.Address;
            return true;
        });
        while (table == 0) sys.Pause();
        sys.PrintLine($"reader {sys.Pid}: table[12] = {sys.Memory.ReadUInt64(table + 12 * 8)}");
        if (vandal)
        {
            sys.PrintLine($"reader {sys.Pid}: writing into the read-only table...");
            sys.Memory.WriteUInt64(table, 666);
        }
        return 0;
    }
}
