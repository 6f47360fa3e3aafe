using BenchmarkDotNet.Attributes;
using Iced.Intel;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Benchmarks;

/// <summary>
/// What translation costs. <see cref="InterpretBlock"/> and <see cref="TranslateBlock"/>: a new CPU runs one block of
/// 32 instructions (the ALU, memory and stack forms gcc emits) once, interpreted, or compiled first
/// (TranslationThreshold 0): the ratio is the cost of translating one block, in interpreted runs of it. The tiny
/// program (a loop of 1000 turns, ~3000 instructions, as small as a student's first program) runs as <c>mk exec</c>
/// runs it, a new kernel and process each time, under both CPUs: <c>exec</c> of a tiny program must be no slower
/// translated; and once more on a warm CPU whose blocks are compiled (the steady state).
/// </summary>
[BenchmarkCategory("x86-translation-cost")]
public class X86TranslationCostBenchmarks
{
    private const ulong Code = FlatBinary.DefaultBase;
    private const ulong Stack = 0x7000_0000;
    private const int BlockLength = 32;

    private FlatX86Memory _memory = new();
    private byte[] _tiny = [];
    private byte[] _kernelBlock = [];
    private (X86Cpu Cpu, FlatX86Memory Memory)? _warm;

    /// <summary>Assembles the block and the tiny program.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _memory = new FlatX86Memory();
        _memory.LoadFlat(FlatBinary.Create(AssembleBlock()));
        _memory.Map(Stack - 4096, 4096, X86Protection.ReadWrite);
        _tiny = AssembleTiny();
        if (RunBlock(X86CpuMode.Translate) != RunBlock(X86CpuMode.Interpret))
            throw new InvalidOperationException("the translated block differs from the interpreted one");
        _kernelBlock = AssembleBlock(exit: true);
        if (KernelBlockTranslate() != KernelBlockInterpret() || KernelBlockTranslateCalls() != KernelBlockInterpret())
            throw new InvalidOperationException("the translated block differs in the kernel");
        if (TinyKernelTranslate() != TinyKernelInterpret() || TinyWarm() != TinyKernelInterpret())
            throw new InvalidOperationException("the translated tiny program differs from the interpreted one");
    }

    /// <summary>A new CPU interprets the block once.</summary>
    [Benchmark(Baseline = true)]
    public ulong InterpretBlock() => RunBlock(X86CpuMode.Interpret);

    /// <summary>A new CPU translates the block (emit IL, JIT-compile it), then runs it once.</summary>
    [Benchmark]
    public ulong TranslateBlock() => RunBlock(X86CpuMode.Translate);

    /// <summary>
    /// The same block's 30 memory and ALU instructions once, then exit, as a program of a paging kernel (every access
    /// through the MMU), interpreted: with <see cref="KernelBlockTranslate"/> and <see cref="KernelBlockTranslateCalls"/>
    /// the difference is the cost of compiling the block with its 10 memory accesses (the kernel's start-up is in all three).
    /// </summary>
    [Benchmark]
    public long KernelBlockInterpret() => RunKernelBlock(X86CpuMode.Interpret, inlineHits: true);

    /// <summary>The block in the kernel compiled first (threshold 0), its TLB hits inline (the default).</summary>
    [Benchmark]
    public long KernelBlockTranslate() => RunKernelBlock(X86CpuMode.Translate, inlineHits: true);

    /// <summary>The block in the kernel compiled first, each access one call to a TLB-hit helper (the translator before).</summary>
    [Benchmark]
    public long KernelBlockTranslateCalls() => RunKernelBlock(X86CpuMode.Translate, inlineHits: false);

    /// <summary>The tiny program as <c>mk exec</c> runs it, interpreted.</summary>
    [Benchmark]
    public long TinyKernelInterpret() => X86Benchmarks.RunInKernel(_tiny, decodeCache: true, X86CpuMode.Interpret).Status;

    /// <summary>The tiny program as <c>mk exec --cpu translate</c> runs it.</summary>
    [Benchmark]
    public long TinyKernelTranslate() => X86Benchmarks.RunInKernel(_tiny, decodeCache: true, X86CpuMode.Translate).Status;

    /// <summary>The tiny program again on a CPU that ran it before (its loop compiled): the steady state, no kernel.</summary>
    [Benchmark]
    public long TinyWarm()
    {
        if (_warm is null)
        {
            var memory = new FlatX86Memory();
            memory.LoadFlat(FlatBinary.Create(_tiny));
            _warm = (new X86Cpu(memory) { Mode = X86CpuMode.Translate }, memory);
        }
        return X86Benchmarks.RunBareOn(_warm.Value.Cpu, _warm.Value.Memory);
    }

    private ulong RunBlock(X86CpuMode mode)
    {
        var cpu = new X86Cpu(_memory) { Mode = mode, TranslationThreshold = 0, HaltStops = true };
        cpu.Registers = X86Registers.Create(Code, Stack);
        if (cpu.Run(BlockLength) != StopReason.BudgetExhausted)
            throw new InvalidOperationException($"the block stopped early: {cpu.LastFault}");
        if (mode == X86CpuMode.Translate && cpu.BlocksTranslated != 1)
            throw new InvalidOperationException("the block was not translated whole");
        return cpu.Registers.Rax ^ cpu.Registers.Rbx;
    }

    private long RunKernelBlock(X86CpuMode mode, bool inlineHits) =>
        X86Benchmarks.RunInKernel(_kernelBlock, decodeCache: true, mode, translationThreshold: 0, configure: cpu => cpu.InlineTlbHits = inlineHits).Status;

    /// <summary>
    /// 32 instructions of one basic block, ending in a jump back to its start; or (exit) 30 of them, then an exit
    /// with rbx's low byte, for a program.
    /// </summary>
    private static byte[] AssembleBlock(bool exit = false)
    {
        var a = new Assembler(64);
        Label top = a.CreateLabel();
        a.Label(ref top);
        for (int i = 0; i < 5; i++)
        {
            a.mov(__qword_ptr[rsp - 64 + 8 * i], rbx); // stored before it is loaded: every run computes the same
            a.mov(rax, __qword_ptr[rsp - 64 + 8 * i]);
            a.add(rax, rbx);
            a.lea(rcx, __[rax + rbx * 4 + 16]);
            a.xor(rbx, rcx);
            a.cmp(rcx, 1000);
        }
        if (exit)
        {
            a.movzx(edi, bl);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.syscall();
            using var program = new MemoryStream();
            a.Assemble(new StreamCodeWriter(program), Code);
            return program.ToArray();
        }
        a.jmp(top); // 31 instructions so far
        // The budget ends after 32: the jump lands on the first instruction again, interpreted.
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Code);
        return stream.ToArray();
    }

    /// <summary>Sums 1..1000 in a loop and exits with the sum's low byte.</summary>
    private static byte[] AssembleTiny()
    {
        var a = new Assembler(64);
        Label loop = a.CreateLabel();
        a.xor(eax, eax);
        a.mov(ecx, 1000);
        a.Label(ref loop);
        a.add(rax, rcx);
        a.sub(ecx, 1);
        a.jne(loop);
        a.movzx(edi, al);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), Code);
        return stream.ToArray();
    }
}
