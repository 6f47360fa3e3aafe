using MicroKernel.Memory;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Writes a page, makes it read-only with protect, then writes again: the MMU (or MPU) refuses the store and the
/// kernel applies the process's fault policy. Nothing after the faulting store runs.
/// </summary>
public sealed class FaultingProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        ulong page = sys.Map(4096);
        sys.Memory.WriteUInt64(page, 42);
        sys.Protect(page, 4096, Protection.Read);
        sys.PrintLine($"page 0x{page:x} is read-only now; reading it gives {sys.Memory.ReadUInt64(page)}; writing it...");
        sys.Memory.WriteUInt64(page, 43);
        sys.PrintLine("unreachable: the write above faults");
        return 0;
    }
}
