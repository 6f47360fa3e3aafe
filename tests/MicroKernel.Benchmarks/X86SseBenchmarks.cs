using BenchmarkDotNet.Attributes;
using Iced.Intel;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What an SSE instruction costs the interpreter next to an integer one: three loops of six instructions an
/// iteration (four of the kind measured, then dec/jnz) on the bare interpreter over <see cref="FlatX86Memory"/>.
/// The baseline is the integer loop (add, imul, xor, mov); the others are scalar double arithmetic as gcc emits it
/// for a harmonic sum (cvtsi2sd, movapd, divsd, addsd: round to nearest, the soft-float's host shortcut), the same
/// under round-toward-zero (every operation takes the exact integer path), and packed integers (paddd, pmullw,
/// pshufd, pxor). Time is per simulated instruction.
/// </summary>
[BenchmarkCategory("x86-sse")]
public class X86SseBenchmarks
{
    private const int Iterations = 100_000;
    internal const int Instructions = 6 * Iterations + 1; // mov ecx, then six an iteration (hlt not counted)

    private byte[] _integer = [], _double = [], _packed = [];
    private const uint RoundTowardZero = 0x7f80;

    /// <summary>Assembles the three loops and checks their instruction counts.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _integer = Loop(a =>
        {
            a.add(eax, ecx);
            a.imul(edx, ecx);
            a.xor(ebx, eax);
            a.mov(esi, edx);
        });
        _double = Loop(DoubleBody);
        _packed = Loop(a =>
        {
            a.paddd(xmm0, xmm1);
            a.pmullw(xmm2, xmm1);
            a.pshufd(xmm3, xmm0, 0x1b);
            a.pxor(xmm4, xmm3);
        });
        foreach (byte[] code in new[] { _integer, _double, _packed })
            if (Run(code) != Instructions || Run(code, RoundTowardZero) != Instructions) throw new InvalidOperationException("a loop retired an unexpected number of instructions");
    }

    private static void DoubleBody(Assembler a)
    {
        a.cvtsi2sd(xmm1, ecx);
        a.movapd(xmm2, xmm5);    // 1.0
        a.divsd(xmm2, xmm1);
        a.addsd(xmm3, xmm2);
    }

    /// <summary>Integer instructions: the reference.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Instructions)]
    public long IntegerLoop() => Run(_integer);

    /// <summary>Scalar doubles, round to nearest (the host-arithmetic shortcut).</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long ScalarDoubleLoop() => Run(_double);

    /// <summary>Scalar doubles, round toward zero (the exact integer path for every operation).</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long ScalarDoubleExactLoop() => Run(_double, RoundTowardZero);

    /// <summary>Packed integers.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long PackedIntegerLoop() => Run(_packed);

    private static long Run(byte[] code, uint mxcsr = X86Mxcsr.Initial)
    {
        var memory = new FlatX86Memory();
        memory.LoadFlat(FlatBinary.Create(code));
        var cpu = new X86Cpu(memory) { HaltStops = true };
        cpu.Registers = X86Registers.Create(FlatBinary.DefaultBase, 0);
        cpu.Registers.Mxcsr = mxcsr;
        cpu.Registers.Xmm[5] = BitConverter.DoubleToUInt64Bits(1.0);
        cpu.Registers.Xmm[1] = new UInt128(0x0003_0005_0007_0009, 0x000b_000d_000f_0011);
        if (cpu.Run(long.MaxValue) != StopReason.Halted) throw new InvalidOperationException($"loop stopped: {cpu.LastFault}");
        return cpu.InstructionsRetired - 1; // the hlt
    }

    private static byte[] Loop(Action<Assembler> body)
    {
        var a = new Assembler(64);
        Label loop = a.CreateLabel();
        a.mov(ecx, Iterations);
        a.Label(ref loop);
        body(a);
        a.dec(ecx);
        a.jnz(loop);
        a.hlt();
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), FlatBinary.DefaultBase);
        return stream.ToArray();
    }
}
