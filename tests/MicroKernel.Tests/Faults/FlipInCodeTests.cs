using Iced.Intel;
using MicroKernel.Faults;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;
using MicroKernel.Tracing;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// A <c>flip</c> in an x86-64 program's code: a memory error is physical, so the CPU must execute the flipped byte
/// even where it had decoded (or translated) that instruction before.
/// </summary>
public class FlipInCodeTests
{
    private const int Marker = 0x1122_3344; // the immediate the flip changes: its first byte is 0x44

    // Runs `mov ecx, Marker` ten times, one time syscall (a tick) each; counts the passes that saw Marker + 1; exits
    // with that count.
    private static Action<Assembler> Program() => a =>
    {
        Label loop = a.CreateLabel(), same = a.CreateLabel();
        a.mov(r13d, 10);
        a.xor(r12d, r12d);
        a.Label(ref loop);
        a.mov(ecx, Marker);
        a.cmp(ecx, Marker + 1);
        a.jne(same);
        a.inc(r12d);
        a.Label(ref same);
        a.mov(eax, (int)SyscallNumber.Time);
        a.syscall();
        a.dec(r13d);
        a.jnz(loop);
        a.mov(eax, (int)SyscallNumber.Exit);
        a.mov(edi, r12d);
        a.syscall();
    };

    [Theory]
    [InlineData(X86CpuMode.Interpret)]
    [InlineData(X86CpuMode.Translate)]
    public void The_cpu_executes_the_flipped_instruction_after_the_flip(X86CpuMode mode)
    {
        byte[] code = X86TestMachine.Assemble(Program(), FlatBinary.DefaultBase);
        int at = code.AsSpan().IndexOf(BitConverter.GetBytes(Marker));
        at.ShouldBeGreaterThan(0);
        var image = X86Program.FromFlat("flipped", FlatBinary.Create(code));
        image.CpuMode = mode;
        if (mode == X86CpuMode.Translate) image.TranslationThreshold = 0;
        var k = new Kernel(FaultRig.Config(rules: [new FlipFaultRule(1, FlatBinary.DefaultBase + (ulong)at, 0, 5)]) with { InstructionsPerTick = 1000 });
        k.Spawn(image, "flipped", out Process? p).ShouldBe(ErrorCode.Ok, image.LoadError);
        (_, EventLog log) = k.RunBalanced();
        log.Injections().ShouldHaveSingleItem().Text!.ShouldContain(": 0x44 -> 0x45 (frame ");
        p!.Faults.ShouldBeEmpty();
        p.ExitStatus.ShouldBeInRange(5, 7, "the passes after the flip (at the time syscall of tick 5) saw Marker + 1");
    }
}
