using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Benchmarks;

/// <summary>Runs one C# program to completion on a fresh kernel: the unit every in-simulation benchmark measures.</summary>
internal static class BenchKernels
{
    /// <summary>Boots a kernel of <paramref name="frames"/> frames (small: boot cost stays far below 1% of a run).</summary>
    public static long RunProgram(Func<Sys, long> main, int frames = 64)
    {
        using var k = new Kernel(new KernelConfig { Frames = frames, AccessesPerTick = 1 << 20, MaxTicks = long.MaxValue });
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
