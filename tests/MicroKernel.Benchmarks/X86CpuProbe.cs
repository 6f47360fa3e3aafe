using System.Diagnostics;
using System.Globalization;
using MicroKernel.X86;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The sieve of <see cref="X86Benchmarks"/> and the loops of <see cref="X86SseBenchmarks"/> timed in process CPU time instead of wall time, for comparing two builds
/// of the interpreter on the shared machine (where BenchmarkDotNet's wall times move 2-4x with the load): each setting
/// runs its rounds interleaved with the others, so a change of load hits all of them, and keeps its fastest round.
/// Run: <c>dotnet run -c Release --project tests/MicroKernel.Benchmarks -- --x86-probe [rounds] [only]</c>, where
/// <c>only</c> (0 kernel with decode cache, 1 kernel without, 2 bare interpreter, 3-6 the SSE benchmarks' loops, 7 kernel translated, 8 bare translated, 9 the same warm, 10-13 the CRC of X86CrcBenchmarks, 14-18 X86TranslationCostBenchmarks' runs, 19-20 ten sieves in one process interpreted and translated, 21-23 the block in a paging kernel interpreted, translated, translated with hit-helper calls, 24-26 the sieve x10, the sieve and the CRC translated with hit-helper calls) runs
/// one setting alone, e.g. under <c>perf stat</c> or valgrind, to count host instructions.
/// </summary>
internal static class X86CpuProbe
{
    private const int IntegerLoop = 3;
    private const int KernelTranslated = 7;
    private const int BareTranslated = 8;
    private const int CrcInterpreted = 10;
    private const int BlockInterpreted = 14;
    private const int TinyInterpreted = 16;
    private const int RoundsInterpreted = 19;
    private const int KernelBlockInterpreted = 21;
    private const int HitCalls = 24;

    public static void Run(int rounds, int only = -1)
    {
        X86Benchmarks.WatchdogSeconds = 3600;
        var bench = new X86Benchmarks();
        bench.Setup();
        var sse = new X86SseBenchmarks();
        sse.Setup();
        byte[] crc = X86CrcBenchmarks.Assemble();
        byte[] sieve = X86Benchmarks.Assemble();
        var cost = new X86TranslationCostBenchmarks();
        cost.Setup();
        (string Name, int Instructions, Func<long> Body)[] settings =
        [
            ("sieve in the kernel, decode cache on", X86Benchmarks.Instructions, () => bench.RunInKernel(decodeCache: true).Status),
            ("sieve in the kernel, decode cache off", X86Benchmarks.Instructions, () => bench.RunInKernel(decodeCache: false).Status),
            ("sieve on the bare interpreter", X86Benchmarks.Instructions, () => bench.RunBare()),
            ("SSE benchmarks' integer loop", X86SseBenchmarks.Instructions, sse.IntegerLoop),
            ("scalar double, round to nearest", X86SseBenchmarks.Instructions, sse.ScalarDoubleLoop),
            ("scalar double, round toward zero", X86SseBenchmarks.Instructions, sse.ScalarDoubleExactLoop),
            ("packed integer", X86SseBenchmarks.Instructions, sse.PackedIntegerLoop),
            ("sieve in the kernel, translated", X86Benchmarks.Instructions, () => bench.RunInKernel(decodeCache: true, X86CpuMode.Translate).Status),
            ("sieve on the bare translator", X86Benchmarks.Instructions, () => bench.RunBare(X86CpuMode.Translate)),
            ("sieve on the bare translator, warm", X86Benchmarks.Instructions, bench.RunBareWarm),
            ("CRC in the kernel, interpreted", X86CrcBenchmarks.Instructions, () => X86Benchmarks.RunInKernel(crc, true, X86CpuMode.Interpret).Status),
            ("CRC in the kernel, translated", X86CrcBenchmarks.Instructions, () => X86Benchmarks.RunInKernel(crc, true, X86CpuMode.Translate).Status),
            ("CRC on the bare translator", X86CrcBenchmarks.Instructions, () => X86Benchmarks.RunBare(crc, X86CpuMode.Translate)),
            ("CRC translated, 100000 instructions a tick", X86CrcBenchmarks.Instructions, () => X86Benchmarks.RunInKernel(crc, true, X86CpuMode.Translate, 100_000).Status),
            // Costs per run (Instructions = 1: printed in microseconds), X86TranslationCostBenchmarks.
            ("one 31-instruction block, interpreted", 1, () => (long)cost.InterpretBlock()),
            ("the same block, translated first", 1, () => (long)cost.TranslateBlock()),
            ("tiny program, exec interpreted", 1, cost.TinyKernelInterpret),
            ("tiny program, exec translated", 1, cost.TinyKernelTranslate),
            ("tiny program, warm translated CPU", 1, cost.TinyWarm),
            // Ten sieves in one process: the steady state under paging, translation paid once.
            ("sieve x10 in the kernel, interpreted", X86Benchmarks.RoundsInstructions, () => X86Benchmarks.RunInKernel(X86Benchmarks.Rounds, true, X86CpuMode.Interpret).Status),
            ("sieve x10 in the kernel, translated", X86Benchmarks.RoundsInstructions, () => X86Benchmarks.RunInKernel(X86Benchmarks.Rounds, true, X86CpuMode.Translate).Status),
            // The 31-instruction block once in a paging kernel (kernel start-up included): the compile cost of its 10
            // memory accesses with the TLB hit inline and with a call per access.
            ("block in the kernel, interpreted", 1, cost.KernelBlockInterpret),
            ("block in the kernel, translated first", 1, cost.KernelBlockTranslate),
            ("the same, a hit-helper call per access", 1, cost.KernelBlockTranslateCalls),
            // The hit inline against a hit-helper call per access, in one run.
            ("sieve x10 translated, hit-helper calls", X86Benchmarks.RoundsInstructions, () => X86Benchmarks.RunInKernel(X86Benchmarks.Rounds, true, X86CpuMode.Translate, configure: X86Benchmarks.HitCalls).Status),
            ("sieve translated, hit-helper calls", X86Benchmarks.Instructions, () => X86Benchmarks.RunInKernel(sieve, true, X86CpuMode.Translate, configure: X86Benchmarks.HitCalls).Status),
            ("CRC translated, hit-helper calls", X86CrcBenchmarks.Instructions, () => X86Benchmarks.RunInKernel(crc, true, X86CpuMode.Translate, configure: X86Benchmarks.HitCalls).Status),
        ];
        var best = new double[settings.Length];
        Array.Fill(best, double.MaxValue);
        // The JIT's own time in the fastest round (System.Runtime.JitInfo, all threads: the kernel runs x86 on its own): for the compile-cost rows,
        // the part of a run that compiling the block's IL took, without the kernel's start-up and the IL emission.
        var jit = new double[settings.Length];
        for (int round = 0; round < rounds; round++)
            for (int i = 0; i < settings.Length; i++)
            {
                if (only >= 0 && i != only) continue;
                TimeSpan start = Process.GetCurrentProcess().TotalProcessorTime;
                TimeSpan jitStart = System.Runtime.JitInfo.GetCompilationTime(currentThread: false);
                settings[i].Body();
                double ns = (Process.GetCurrentProcess().TotalProcessorTime - start).TotalNanoseconds / settings[i].Instructions;
                if (ns < best[i])
                {
                    best[i] = ns;
                    jit[i] = (System.Runtime.JitInfo.GetCompilationTime(currentThread: false) - jitStart).TotalMicroseconds;
                }
            }
        for (int i = 0; i < settings.Length; i++)
        {
            if (only >= 0 && i != only) continue;
            // The SSE loops, as X86SseBenchmarks reports them: a ratio to the integer loop of the same length.
            // The translated sieves: how many times faster than the same sieve interpreted.
            string ratio = only >= 0 ? ""
                : i == KernelTranslated ? string.Create(CultureInfo.InvariantCulture, $"  {best[0] / best[i],5:F2}x faster than interpreted")
                : i >= CrcInterpreted && i < BlockInterpreted ? string.Create(CultureInfo.InvariantCulture, $"  {best[CrcInterpreted] / best[i],5:F2}x faster than interpreted")
                : i >= BareTranslated ? string.Create(CultureInfo.InvariantCulture, $"  {best[2] / best[i],5:F2}x faster than interpreted")
                : i > IntegerLoop ? string.Create(CultureInfo.InvariantCulture, $"  {best[i] / best[IntegerLoop],5:F2}x the integer loop") : "";
            if (i >= HitCalls)
            {
                // Against the same program with the hit inline (rows 20, 7, 11).
                int inline = i == HitCalls ? 20 : i == HitCalls + 1 ? KernelTranslated : 11;
                ratio = only >= 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"  the hit inline is {best[i] / best[inline],5:F2}x faster");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{settings[i].Name,-40} {best[i],6:F2} ns a simulated instruction{ratio}"));
                continue;
            }
            if (i >= KernelBlockInterpreted)
            {
                ratio = only >= 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"  {best[i] / best[KernelBlockInterpreted],7:F2}x the interpreted block");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{settings[i].Name,-40} {best[i] / 1000,8:F1} us a run (JIT {jit[i],6:F0} us){ratio}"));
                continue;
            }
            if (i >= RoundsInterpreted)
                ratio = only >= 0 || i == RoundsInterpreted ? "" : string.Create(CultureInfo.InvariantCulture, $"  {best[RoundsInterpreted] / best[i],5:F2}x faster than interpreted");
            else if (i >= BlockInterpreted && i < RoundsInterpreted)
            {
                int baseline = i < TinyInterpreted ? BlockInterpreted : TinyInterpreted;
                ratio = only >= 0 ? "" : string.Create(CultureInfo.InvariantCulture, $"  {best[i] / best[baseline],7:F2}x the {(baseline == BlockInterpreted ? "interpreted block" : "interpreted exec")}");
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{settings[i].Name,-40} {best[i] / 1000,8:F1} us a run (JIT {jit[i],6:F0} us){ratio}"));
                continue;
            }
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{settings[i].Name,-40} {best[i],6:F2} ns a simulated instruction{ratio}"));
        }
    }
}
