using MicroKernel.Processes;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Runs one C# program to completion on a fresh kernel: the unit every in-simulation benchmark measures. Every kernel
/// benchmark reports its figures at two settings of <see cref="KernelConfig.AccessesPerTick"/>, side by side (a
/// <c>[Params]</c> of each class): <see cref="DefaultAccessesPerTick"/>, a scheduling point every 64 user memory
/// accesses as in every normal run, and <see cref="BatchedAccessesPerTick"/>, almost none, which shows the cost of
/// the operation alone. Frames (RAM size) and MaxTicks (a safety limit) are set per benchmark: they cost nothing
/// per operation.
/// </summary>
internal static class BenchKernels
{
    /// <summary>The default of <see cref="KernelConfig.AccessesPerTick"/> (checked by <see cref="Config"/>).</summary>
    public const int DefaultAccessesPerTick = 64;

    /// <summary>One scheduling point per 2^20 user accesses: the tick's cost left out of a memory-heavy loop.</summary>
    public const int BatchedAccessesPerTick = 1 << 20;

    /// <summary>The configuration of a benchmark kernel: <paramref name="frames"/> frames, no tick limit.</summary>
    public static KernelConfig Config(int accessesPerTick, int frames)
    {
        if (new KernelConfig().AccessesPerTick != DefaultAccessesPerTick)
            throw new InvalidOperationException($"KernelConfig's default AccessesPerTick is no longer {DefaultAccessesPerTick}: update BenchKernels and docs/benchmarks.md");
        return new KernelConfig { Frames = frames, AccessesPerTick = accessesPerTick, MaxTicks = long.MaxValue };
    }

    /// <summary>Boots a kernel of <paramref name="frames"/> frames (small: boot cost stays far below 1% of a run).</summary>
    public static long RunProgram(int accessesPerTick, Func<Sys, long> main, int frames = 64)
    {
        using var k = new Kernel(Config(accessesPerTick, frames));
        k.Spawn(new ManagedProgram("bench", () => new Lambda(main)), "bench", out Process? p);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed) throw new InvalidOperationException($"benchmark run ended {r.Outcome}: {r.Panic}");
        if (p!.ExitStatus != 0) throw new InvalidOperationException($"benchmark program failed with status {p.ExitStatus}: {string.Join("; ", p.Faults)}");
        return p.ExitStatus;
    }

    private sealed class Lambda(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }
}
