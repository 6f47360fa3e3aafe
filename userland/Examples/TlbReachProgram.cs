using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// The paging lab's TLB-reach experiment (docs/labs/paging-lab.md): maps 2 MiB, with 4 KiB pages or, given the
/// argument <c>large</c>, with one 2 MiB page (<see cref="MapFlags.LargePages"/>), and sweeps it four times touching
/// one word per 4 KiB. The output is the same either way; the run's <c>tlb:</c> line is not: 512 pages do not fit in a
/// 64-entry TLB, one 2 MiB entry does. Where large pages are refused (an MPU has none) it says so and uses small ones.
/// </summary>
public sealed class TlbReachProgram : UserProgram
{
    private const ulong Size = 2UL << 20;
    private const ulong Page = 4096;
    private const int Sweeps = 4;

    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        bool large = sys.Args.Contains("large");
        ulong buffer;
        try
        {
            buffer = large ? sys.Map(Size, Protection.ReadWrite, MapFlags.LargePages) : sys.Map(Size);
        }
        catch (SyscallException e) when (e.Error is ErrorCode.InvalidArgument or ErrorCode.OutOfMemory)
        {
            sys.PrintLine($"tlb-reach: no large page here ({e.Error}), using 4 KiB pages");
            buffer = sys.Map(Size);
        }
        for (ulong at = 0; at < Size; at += Page) sys.Memory.WriteUInt64(buffer + at, at / Page);
        ulong sum = 0;
        for (int sweep = 0; sweep < Sweeps; sweep++)
            for (ulong at = 0; at < Size; at += Page) sum += sys.Memory.ReadUInt64(buffer + at);
        sys.PrintLine($"tlb-reach: {Sweeps} sweeps of {Size / Page} pages, sum {sum}");
        // No unmap: the exit frees it, and --dump-maps (printed at exit) still shows the mapping.
        return sum == Sweeps * (Size / Page) * (Size / Page - 1) / 2 ? 0 : 1;
    }
}
