using BenchmarkDotNet.Attributes;
using Iced.Intel;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The block translator (<c>--cpu translate</c>) against the interpreter on a second compute loop: the bitwise CRC-32
/// of a 16 KiB buffer, as gcc -O2 compiles the textbook loop (assembled here with Iced, so no gcc is needed). In the
/// paging kernel under both CPUs, and translated over flat test memory (no MMU: the MMU path's cost is the
/// difference). Time per simulated instruction (OperationsPerInvoke = the program's instruction count), translation
/// included: each run is a new process with a new CPU, as <c>mk exec</c> runs it.
/// </summary>
[BenchmarkCategory("x86-crc")]
public class X86CrcBenchmarks
{
    /// <summary>The buffer's length in bytes.</summary>
    private const int Length = 16384;

    /// <summary>Instructions the program retires (checked in setup).</summary>
    internal const int Instructions = 1_245_197;

    private byte[] _code = [];

    /// <summary>Assembles the program and checks its result and instruction count under both CPUs.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _code = Assemble();
        long expected = Crc32();
        foreach (X86CpuMode mode in new[] { X86CpuMode.Interpret, X86CpuMode.Translate })
        {
            (long status, long retired) = X86Benchmarks.RunInKernel(_code, decodeCache: true, mode);
            if (status != expected || retired != Instructions)
                throw new InvalidOperationException($"the CRC program ({mode}) exited 0x{status:x} after {retired} instructions; expected 0x{expected:x} after {Instructions}");
        }
        if (X86Benchmarks.RunBare(_code, X86CpuMode.Translate) != expected)
            throw new InvalidOperationException("the bare translated CRC is wrong");
    }

    /// <summary>Interpreted in the paging kernel (scheduling point every 1000 instructions).</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Instructions)]
    public long KernelInterpret() => X86Benchmarks.RunInKernel(_code, decodeCache: true, X86CpuMode.Interpret).Status;

    /// <summary>Translated in the paging kernel: the TLB hit inline, a miss through the MMU.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long KernelTranslate() => X86Benchmarks.RunInKernel(_code, decodeCache: true, X86CpuMode.Translate).Status;

    /// <summary>As <see cref="KernelTranslate"/> with a call to a TLB-hit helper per access instead of the hit inline (the translator before).</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long KernelTranslateHitCalls() => X86Benchmarks.RunInKernel(_code, decodeCache: true, X86CpuMode.Translate, configure: X86Benchmarks.HitCalls).Status;

    /// <summary>Translated over flat test memory, no kernel and no MMU.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long BareTranslate() => X86Benchmarks.RunBare(_code, X86CpuMode.Translate);

    /// <summary>The expected result: the CRC-32 the program computes, of the bytes it fills the buffer with.</summary>
    internal static long Crc32()
    {
        uint crc = uint.MaxValue;
        for (int i = 0; i < Length; i++)
        {
            crc ^= (byte)(i * 31 + 7);
            for (int k = 0; k < 8; k++)
                crc = (crc >> 1) ^ (0xEDB88320 & (uint)-(int)(crc & 1));
        }
        return ~crc;
    }

    /// <summary>
    /// Maps the buffer, fills it with i * 31 + 7, then computes the CRC bit by bit (shr, and, neg, and, xor: the
    /// branch-free inner loop gcc -O2 makes of it) and exits with it.
    /// </summary>
    internal static byte[] Assemble()
    {
        var a = new Assembler(64);
        Label fill = a.CreateLabel(), nextByte = a.CreateLabel(), bit = a.CreateLabel();
        a.mov(eax, (int)SyscallNumber.Map);
        a.xor(edi, edi);
        a.mov(esi, Length);
        a.mov(edx, 3);                       // read | write
        a.syscall();
        a.mov(r8, rax);                      // r8 = the buffer
        a.xor(ecx, ecx);
        a.Label(ref fill);
        a.imul(eax, ecx, 31);
        a.add(eax, 7);
        a.mov(__byte_ptr[r8 + rcx], al);
        a.add(rcx, 1);
        a.cmp(rcx, Length);
        a.jne(fill);
        a.mov(edx, -1);                      // crc
        a.xor(esi, esi);                     // i
        a.Label(ref nextByte);
        a.movzx(eax, __byte_ptr[r8 + rsi]);
        a.xor(edx, eax);
        a.mov(ecx, 8);
        a.Label(ref bit);
        a.mov(eax, edx);
        a.shr(edx, 1);
        a.and(eax, 1);
        a.neg(eax);
        a.and(eax, unchecked((int)0xEDB88320));
        a.xor(edx, eax);
        a.sub(ecx, 1);
        a.jne(bit);
        a.add(rsi, 1);
        a.cmp(rsi, Length);
        a.jne(nextByte);
        a.not(edx);
        a.mov(edi, edx);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), FlatBinary.DefaultBase);
        return stream.ToArray();
    }
}
