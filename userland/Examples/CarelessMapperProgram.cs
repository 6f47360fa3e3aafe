using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The fault lab's bug (docs/labs/fault-lab.md): maps a table with the raw map syscall and uses the result as an
/// address without checking it, like C code that never compares mmap's result with MAP_FAILED. It works on every
/// run until map fails: then the error number (negative) becomes an address and the first store faults. With the
/// argument <c>careful</c> it checks the result and tries once more, which is the fix the lab asks for.
/// </summary>
public sealed class CarelessMapperProgram : UserProgram
{
    private const int Entries = 512; // one page of 8-byte words

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        bool careful = sys.Args.Contains("careful");
        long result = MapTable(sys);
        if (careful && result < 0)
        {
            // The fix: an error is not an address. Say so, and try again (the fault was transient).
            sys.PrintLine($"careless-mapper: map refused ({(ErrorCode)result}), trying again");
            result = MapTable(sys);
            if (result < 0)
            {
                sys.PrintLine($"careless-mapper: map refused again ({(ErrorCode)result}), giving up");
                return 1;
            }
        }
        ulong table = (ulong)result; // the bug when not careful: a negative error number used as an address
        for (ulong i = 0; i < Entries; i++) sys.Memory.WriteUInt64(table + i * 8, i * 3);
        ulong sum = 0;
        for (ulong i = 0; i < Entries; i++) sum += sys.Memory.ReadUInt64(table + i * 8);
        sys.PrintLine($"careless-mapper: {Entries} entries, sum {sum}");
        return sum == 3 * Entries * (Entries - 1) / 2 ? 0 : 1;
    }

    private static long MapTable(Sys sys) => sys.Syscall(SyscallNumber.Map, 0, Entries * 8, (ulong)Protection.ReadWrite);
}
