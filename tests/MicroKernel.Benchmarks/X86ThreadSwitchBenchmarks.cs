using BenchmarkDotNet.Attributes;
using Iced.Intel;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Benchmarks;

/// <summary>
/// A switch between two x86 threads (docs/architecture.md, "Threads without host threads") against the bare handoff
/// of two host threads through two SemaphoreSlims, in the same run, per switch. The x86 threads (main and one it
/// creates, both spinning) run with InstructionsPerTick = 1 and a round-robin quantum of 1 tick, so every instruction
/// ends in a preemption: a switch at an instruction point, which inline threads make as a register swap on one runner.
/// Beside it: the same program with a host thread per simulated thread (the old path), one x86 thread alone at the
/// same tick rate (the instruction and tick without the switch), two x86 threads that switch by yield syscalls (a
/// switch inside the kernel, which still hands the CPU between host threads) and two C# threads that yield.
/// </summary>
[BenchmarkCategory("x86-switch")]
public class X86ThreadSwitchBenchmarks
{
    private const int Handoffs = 100_000;

    // Each thread spins this many dec/jnz iterations: 2 instructions each, so the two run Handoffs instructions in all.
    private const int SpinIterations = Handoffs / 4;

    private static readonly byte[] Spinners = Assemble(SpinPair(SpinIterations, createWorker: true));
    private static readonly byte[] Alone = Assemble(SpinPair(2 * SpinIterations, createWorker: false));
    private static readonly byte[] Yielders = Assemble(YieldPair(Handoffs / 2));

    [Benchmark(Baseline = true, OperationsPerInvoke = Handoffs)]
    public void BareSemaphorePingPong() => BarePingPong.Run(Handoffs);

    /// <summary>Two inline x86 threads, preempted at every instruction: one runner, no host handoff.</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long X86SwitchInline() => Run(Spinners, inline: true, expectSwitches: true);

    /// <summary>The same two x86 threads, each on a host thread of its own (KernelConfig.InlineThreads = false).</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long X86SwitchHostThreads() => Run(Spinners, inline: false, expectSwitches: true);

    /// <summary>One x86 thread running as many instructions at one tick each: the part of a switch that is not one.</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long X86TicksAlone() => Run(Alone, inline: true, expectSwitches: false);

    /// <summary>Two x86 threads yielding to each other: a switch inside a syscall (the thread parks on its runner).</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long X86YieldInline() => Run(Yielders, inline: true, expectSwitches: true, twoProcesses: true, preemptEveryInstruction: false);

    /// <summary>Two C# threads yielding to each other (SwitchBenchmarks.SimulatedThreadSwitch at the default setting).</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long CSharpSwitch() => BenchKernels.RunProgram(BenchKernels.DefaultAccessesPerTick, sys =>
    {
        int peer = sys.CreateThread((s, _) =>
        {
            for (int i = 0; i < Handoffs / 2; i++) s.Yield();
            return 0;
        });
        for (int i = 0; i < Handoffs / 2; i++) sys.Yield();
        return sys.Join(peer);
    });

    private static long Run(byte[] code, bool inline, bool expectSwitches, bool twoProcesses = false, bool preemptEveryInstruction = true)
    {
        var config = new KernelConfig { Frames = 256, MaxTicks = long.MaxValue, InlineThreads = inline };
        // The yielders switch by syscall: at the default slice (1000 instructions) no preemption adds switches.
        if (preemptEveryInstruction) config = config with { InstructionsPerTick = 1, Quantum = 1 };
        using var k = new Kernel(config);
        k.Spawn(X86Program.FromFlat("a", FlatBinary.Create(code)), "a", out Process? p);
        if (twoProcesses) k.Spawn(X86Program.FromFlat("b", FlatBinary.Create(code)), "b", out Process? _);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || p!.ExitStatus != 0) throw new InvalidOperationException($"benchmark run failed: {r.Outcome} {p?.ExitStatus}");
        // The figure is per switch: the run must have made (about) Handoffs of them, or none when alone.
        bool switchesRight = expectSwitches ? Math.Abs(r.Switches - Handoffs) < Handoffs / 100 : r.Switches <= 1;
        if (!switchesRight) throw new InvalidOperationException($"benchmark made {r.Switches} switches, not about {(expectSwitches ? Handoffs : 0)}");
        return r.Switches;
    }

    private static byte[] Assemble(Action<Assembler> build)
    {
        var a = new Assembler(64);
        build(a);
        using var stream = new MemoryStream();
        a.Assemble(new StreamCodeWriter(stream), FlatBinary.DefaultBase);
        return stream.ToArray();
    }

    // main (optionally after creating a worker running the same loop) spins, then exits 0.
    private static Action<Assembler> SpinPair(int iterations, bool createWorker) => a =>
    {
        Label spin = a.CreateLabel(), loop = a.CreateLabel();
        if (createWorker)
        {
            a.lea(rdi, __[spin]);
            a.xor(esi, esi);
            a.xor(edx, edx);
            a.mov(eax, (int)SyscallNumber.ThreadCreate);
            a.syscall();
        }
        a.call(spin);
        a.xor(edi, edi);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
        a.Label(ref spin);
        a.mov(ecx, iterations);
        a.Label(ref loop);
        a.dec(ecx);
        a.jnz(loop);
        a.xor(eax, eax);
        a.ret();
    };

    // Yields n times, then exits 0 (two processes of it yield to each other).
    private static Action<Assembler> YieldPair(int n) => a =>
    {
        Label loop = a.CreateLabel();
        a.mov(ebx, n);
        a.Label(ref loop);
        a.mov(eax, (int)SyscallNumber.Yield);
        a.syscall();
        a.dec(ebx);
        a.jnz(loop);
        a.xor(edi, edi);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.syscall();
    };
}
