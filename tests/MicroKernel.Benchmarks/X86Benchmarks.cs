using BenchmarkDotNet.Attributes;
using Iced.Intel;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Benchmarks;

/// <summary>
/// Simulated x86-64 instructions per second on a compute loop: the sieve of Eratosthenes of
/// userland/examples/c/sieve.c, assembled here with Iced (the same loop gcc -O2 makes of it, so no gcc is needed).
/// It runs as the only process of a paging kernel with the decode cache on and off, and on the bare interpreter
/// over <see cref="FlatX86Memory"/> (no MMU, no kernel); the baseline is the same sieve written in C#.
/// Every benchmark reports time per simulated instruction (OperationsPerInvoke = the program's instruction
/// count), so 1 / Mean is the instruction rate and the ratio to the baseline is the slowdown against native code.
/// </summary>
[BenchmarkCategory("x86")]
public class X86Benchmarks
{
    /// <summary>The sieve's size: counts the primes below it (9592).</summary>
    private const int N = 100_000;

    /// <summary>Instructions the program retires (checked in setup, so a change to the loop cannot go unnoticed).</summary>
    internal const int Instructions = 1_720_333;

    private const int Primes = 9592;
    private const ulong DataAddress = 0x10_0000_0000;

    /// <summary>
    /// The host watchdog's budget, the kernel's default; X86CpuProbe raises it (same code path, it just never
    /// fires) because under valgrind the first round's JIT alone takes longer than the default.
    /// </summary>
    internal static double WatchdogSeconds { get; set; } = new KernelConfig().WatchdogSeconds;

    private byte[] _code = [];
    private readonly byte[] _composite = new byte[N];

    /// <summary>Assembles the program and checks its instruction count and result once.</summary>
    [GlobalSetup]
    public void Setup()
    {
        _code = Assemble();
        (long status, long retired) = RunInKernel(decodeCache: true);
        if (status != Primes || retired != Instructions)
            throw new InvalidOperationException($"the sieve exited {status} after {retired} instructions; expected {Primes} after {Instructions}");
        if (RunBare() != Primes || RunBare(X86CpuMode.Translate) != Primes)
            throw new InvalidOperationException("the bare interpreter's sieve is wrong");
        if (RunInKernel(decodeCache: true, X86CpuMode.Translate) != (Primes, Instructions))
            throw new InvalidOperationException("the translated sieve differs from the interpreted one");
    }

    /// <summary>The same sieve as native (JIT-compiled) C#.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Instructions)]
    public long NativeSieve()
    {
        byte[] composite = _composite;
        Array.Clear(composite);
        long count = 0;
        for (long i = 2; i < N; i++)
        {
            if (composite[i] != 0) continue;
            count++;
            for (long j = i * i; j < N; j += i) composite[j] = 1;
        }
        return count;
    }

    /// <summary>In the kernel under paging (MMU, TLB, scheduling point every 1000 instructions), decode cache on.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long KernelDecodeCache() => RunInKernel(decodeCache: true).Status;

    /// <summary>As <see cref="KernelDecodeCache"/>, decoding every instruction afresh.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long KernelNoDecodeCache() => RunInKernel(decodeCache: false).Status;

    /// <summary>The interpreter alone over flat test memory: what the kernel path adds is the difference.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long BareInterpreter() => RunBare();

    /// <summary>As <see cref="KernelDecodeCache"/> with the block translator (<c>--cpu translate</c>), compile time included.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long KernelTranslate() => RunInKernel(decodeCache: true, X86CpuMode.Translate).Status;

    /// <summary>As <see cref="KernelTranslate"/> with a call to a TLB-hit helper per access instead of the hit inline (the translator before).</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long KernelTranslateHitCalls() => RunInKernel(_code, decodeCache: true, X86CpuMode.Translate, configure: HitCalls).Status;

    /// <summary>Makes a CPU's compiled blocks call a TLB-hit helper per access instead of taking the hit inline.</summary>
    internal static void HitCalls(X86Cpu cpu) => cpu.InlineTlbHits = false;

    /// <summary>As <see cref="BareInterpreter"/> with the block translator, compile time included.</summary>
    [Benchmark(OperationsPerInvoke = Instructions)]
    public long BareTranslate() => RunBare(X86CpuMode.Translate);

    internal (long Status, long Retired) RunInKernel(bool decodeCache, X86CpuMode mode = X86CpuMode.Interpret) =>
        RunInKernel(_code, decodeCache, mode);

    /// <summary>Runs a flat program as the only process of a paging kernel; returns its exit status and instruction count.</summary>
    internal static (long Status, long Retired) RunInKernel(byte[] code, bool decodeCache, X86CpuMode mode, int instructionsPerTick = 1000, int? translationThreshold = null, Action<X86Cpu>? configure = null)
    {
        var kernel = new Kernel(new KernelConfig { Frames = 256, MaxTicks = long.MaxValue, WatchdogSeconds = WatchdogSeconds, InstructionsPerTick = instructionsPerTick });
        var exit = new ExitCounter();
        kernel.AddSink(exit);
        var image = X86Program.FromFlat("sieve", FlatBinary.Create(code), decodeCache);
        image.CpuMode = mode;
        if (translationThreshold is { } threshold) image.TranslationThreshold = threshold;
        image.CpuCreatedForTests = configure;
        if (kernel.Spawn(image, "sieve", out Process? p) != ErrorCode.Ok) throw new InvalidOperationException("spawn failed");
        RunResult r = kernel.Run();
        if (r.Outcome != RunOutcome.Completed || p!.Faults.Count > 0)
            throw new InvalidOperationException($"sieve run ended {r.Outcome}: {string.Join("; ", p!.Faults)}");
        return (p.ExitStatus, exit.Instructions);
    }

    internal long RunBare(X86CpuMode mode = X86CpuMode.Interpret) => RunBare(_code, mode);

    /// <summary>Runs a flat program on a bare CPU over <see cref="FlatX86Memory"/>; returns its exit status.</summary>
    internal static long RunBare(byte[] code, X86CpuMode mode)
    {
        var memory = new FlatX86Memory();
        memory.LoadFlat(FlatBinary.Create(code));
        return RunBareOn(new X86Cpu(memory) { Mode = mode }, memory);
    }

    private (X86Cpu Cpu, FlatX86Memory Memory)? _warm;

    /// <summary>
    /// The bare sieve again on one CPU kept across calls (its blocks stay compiled after the first call): the
    /// translator's steady state, without translation cost.
    /// </summary>
    internal long RunBareWarm()
    {
        if (_warm is null)
        {
            var memory = new FlatX86Memory();
            memory.LoadFlat(FlatBinary.Create(_code));
            _warm = (new X86Cpu(memory) { Mode = X86CpuMode.Translate }, memory);
        }
        return RunBareOn(_warm.Value.Cpu, _warm.Value.Memory);
    }

    internal static long RunBareOn(X86Cpu cpu, FlatX86Memory memory)
    {
        cpu.Registers = X86Registers.Create(FlatBinary.DefaultBase, 0);
        while (cpu.Run(long.MaxValue) == StopReason.Syscall)
        {
            ref X86Registers r = ref cpu.Registers;
            if (r.Rax == (ulong)SyscallNumber.Exit) return (long)r.Rdi;
            // The only other call: map (already there when a warm CPU runs the program again; the loop clears it).
            if (memory.Read(DataAddress, new byte[1], Hardware.AccessKind.Read) is not null)
                memory.Map(DataAddress, (ulong)r.Rsi, X86Protection.ReadWrite);
            r.Rax = DataAddress;
        }
        throw new InvalidOperationException($"bare sieve stopped: {cpu.LastFault}");
    }

    /// <summary>How many times <see cref="Rounds"/> runs the sieve.</summary>
    internal const int RoundCount = 10;

    /// <summary>
    /// The sieve run <see cref="RoundCount"/> times in one process (the array mapped once): the steady state of a
    /// CPU whose blocks are compiled, under paging, with translation paid once for ten sieves.
    /// </summary>
    internal static byte[] Rounds { get; } = Assemble(RoundCount);

    /// <summary>Instructions <see cref="Rounds"/> retires (measured once, checked against the single sieve's count).</summary>
    internal static int RoundsInstructions { get; } = CountRounds();

    private static int CountRounds()
    {
        (long status, long retired) = RunInKernel(Rounds, decodeCache: true, X86CpuMode.Interpret);
        // Six instructions before the first round (map, syscall...) and three at the exit, none repeated; each round
        // adds two (the round counter) to the sieve's own.
        if (status != Primes || retired != RoundCount * (Instructions - 9 + 2) + 9 + 1)
            throw new InvalidOperationException($"the repeated sieve exited {status} after {retired} instructions");
        return (int)retired;
    }

    /// <summary>
    /// The sieve as gcc -O2 compiles sieve.c's loops: map the array, clear it, then for each i not yet crossed
    /// out count it and cross out i*i, i*i+i, ... Exits with the count. With rounds &gt; 1 all of it after the map is
    /// run that many times.
    /// </summary>
    internal static byte[] Assemble(int rounds = 1)
    {
        var a = new Assembler(64);
        Label clear = a.CreateLabel(), check = a.CreateLabel(), next = a.CreateLabel(), cross = a.CreateLabel(), done = a.CreateLabel();
        Label round = a.CreateLabel();
        a.mov(eax, (int)SyscallNumber.Map);
        a.xor(edi, edi);
        a.mov(esi, (N + 4095) & ~4095);
        a.mov(edx, 3);                       // read | write
        a.syscall();
        a.mov(r8, rax);                      // r8 = the array
        if (rounds > 1)
            a.mov(r9d, rounds);
        a.Label(ref round);
        a.mov(ebx, N);
        a.xor(edx, edx);
        a.Label(ref clear);
        a.mov(__byte_ptr[r8 + rdx], 0);
        a.add(rdx, 1);
        a.cmp(rdx, rbx);
        a.jne(clear);
        a.mov(edx, 2);                       // i
        a.xor(r13d, r13d);                   // count
        a.jmp(check);
        a.Label(ref next);
        a.add(rdx, 1);
        a.cmp(rbx, rdx);
        a.je(done);
        a.Label(ref check);
        a.cmp(__byte_ptr[r8 + rdx], 0);
        a.jne(next);
        a.mov(rax, rdx);
        a.add(r13, 1);
        a.imul(rax, rdx);                    // j = i * i
        a.cmp(rbx, rax);
        a.jle(next);
        a.Label(ref cross);
        a.mov(__byte_ptr[r8 + rax], 1);
        a.add(rax, rdx);
        a.cmp(rbx, rax);
        a.jg(cross);
        a.jmp(next);
        a.Label(ref done);
        if (rounds > 1)
        {
            a.dec(r9d);
            a.jne(round);
        }
        a.mov(rdi, r13);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), FlatBinary.DefaultBase);
        return stream.ToArray();
    }

    /// <summary>Remembers the instruction count the exit syscall reports (syscall events carry it).</summary>
    private sealed class ExitCounter : IEventSink
    {
        public long Instructions { get; private set; }

        public void Emit(in KernelEvent e)
        {
            if (e.Kind == EventKind.SyscallEnter && e.Code == (long)SyscallNumber.Exit) Instructions = e.Instructions;
        }
    }
}
