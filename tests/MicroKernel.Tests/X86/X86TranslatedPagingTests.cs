using System.Globalization;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The translator's inlined TLB-hit path (X86Cpu.DirectMemory.cs) against the interpreter's call through the MMU: a
/// gcc-built program stopped mid-run under paging leaves the same TLB counts, the same Accessed and Dirty bits in every
/// page-table entry under both CPUs. A store to a page whose TLB entry lacks write permission
/// (not yet Dirty) must take the walk, which sets D: if the inline path stored anyway, D would stay clear.
/// </summary>
public sealed class X86TranslatedPagingTests
{
    /// <summary>What a run leaves behind, as text, so that a difference shows where it is.</summary>
    private static string RunAndDescribe(X86CpuMode mode, string program, string[] arguments, long maxTicks)
    {
        var kernel = new Kernel(new KernelConfig { Frames = 4096, InstructionsPerTick = 997, MaxTicks = maxTicks });
        X86Program image = X86Program.FromBytes(program, CExamples.FixtureBytes(program));
        image.CpuMode = mode;
        kernel.Spawn(image, program, out Process? p, arguments: arguments).ShouldBe(Syscalls.ErrorCode.Ok);
        RunResult result = kernel.Run();
        var text = new StringWriter(CultureInfo.InvariantCulture);
        text.WriteLine($"outcome {result.Outcome} at tick {result.Ticks}");
        Hardware.Paging.Tlb tlb = kernel.Machine.Mmu.Tlb;
        text.WriteLine($"tlb {tlb.Hits} hits, {tlb.Misses} misses");
        if (p!.AddressSpace is PagedAddressSpace space && !space.IsDestroyed)
            foreach ((ulong va, ulong _) in space.UserFrames())
                text.WriteLine($"0x{va:x}: {Hardware.Paging.Pte.Describe(space.QueryEntry(va))}");
        return text.ToString();
    }

    [Theory]
    [InlineData("sieve", "100000", 40)]   // stopped while it crosses out multiples: stores to fresh pages
    [InlineData("sieve", "1000", 1000)]   // runs to its exit
    public void A_translated_run_leaves_the_interpreters_tlb_counts_and_accessed_dirty_bits(string program, string argument, long maxTicks)
    {
        string interpreted = RunAndDescribe(X86CpuMode.Interpret, program, [argument], maxTicks);
        string translated = RunAndDescribe(X86CpuMode.Translate, program, [argument], maxTicks);
        translated.ShouldBe(interpreted);
        interpreted.ShouldContain("tlb ");
    }
}
