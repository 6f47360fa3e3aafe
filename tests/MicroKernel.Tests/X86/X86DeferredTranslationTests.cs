using Iced.Intel;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// A hot block whose region is mostly instructions the compiled code hands to the interpreter (SSE here) is compiled
/// only at <see cref="X86Cpu.DeferredThresholdFactor"/> times the threshold (docs/x86.md, "The block translator"):
/// until then it runs interpreted, with the same results and counts.
/// </summary>
public sealed class X86DeferredTranslationTests
{
    // A loop of `iterations` turns: six SSE instructions and a dec/jnz, or (native) two adds and the dec/jnz.
    private static X86TestMachine Loop(int iterations, bool sse, int threshold, X86CpuMode mode = X86CpuMode.Translate)
    {
        var machine = X86TestMachine.FromAssembly(a =>
        {
            Label top = a.CreateLabel();
            a.mov(ecx, iterations);
            a.mov(eax, 3);
            a.movq(xmm1, rax);
            a.Label(ref top);
            if (sse)
            {
                a.movdqa(xmm0, xmm1);
                a.paddq(xmm1, xmm1);
                a.pxor(xmm2, xmm0);
                a.paddd(xmm2, xmm1);
                a.punpcklwd(xmm3, xmm2);
                a.pand(xmm3, xmm1);
            }
            else
            {
                a.add(rbx, rax);
                a.add(rdx, rbx);
            }
            a.dec(ecx);
            a.jne(top);
            a.hlt();
        });
        machine.Cpu.Mode = mode;
        machine.Cpu.TranslationThreshold = threshold;
        machine.Run().ShouldBe(StopReason.Halted);
        return machine;
    }

    [Fact]
    public void A_mostly_interpreted_loop_waits_for_the_longer_threshold()
    {
        X86TestMachine early = Loop(200, sse: true, threshold: 10);
        (early.Cpu.BlocksDeferred, early.Cpu.BlocksTranslated).ShouldBe((1, 0)); // 200 turns: past 10, short of 640

        X86TestMachine late = Loop(1000, sse: true, threshold: 10);
        (late.Cpu.BlocksDeferred, late.Cpu.BlocksTranslated).ShouldBe((1, 1)); // compiled once past 640 turns
        late.Cpu.TranslatedInstructions.Interpreted.ShouldBeGreaterThan(late.Cpu.TranslatedInstructions.Native);
    }

    [Fact]
    public void A_native_loop_and_threshold_0_are_not_deferred()
    {
        X86TestMachine native = Loop(200, sse: false, threshold: 10);
        (native.Cpu.BlocksDeferred, native.Cpu.BlocksTranslated).ShouldBe((0, 1));

        X86TestMachine atOnce = Loop(20, sse: true, threshold: 0); // "compile at once" means at once
        atOnce.Cpu.BlocksDeferred.ShouldBe(0);
        atOnce.Cpu.BlocksTranslated.ShouldBeGreaterThan(0);
    }

    [Theory]
    [InlineData(200)]
    [InlineData(1000)]
    public void Deferred_or_not_the_run_is_the_interpreters(int iterations)
    {
        X86TestMachine translated = Loop(iterations, sse: true, threshold: 10);
        X86TestMachine interpreted = Loop(iterations, sse: true, threshold: 10, X86CpuMode.Interpret);
        translated.Cpu.InstructionsRetired.ShouldBe(interpreted.Cpu.InstructionsRetired);
        translated.Cpu.InstructionsRetired.ShouldBe(3 + 8L * iterations + 1);
        translated.Regs.ToString().ShouldBe(interpreted.Regs.ToString()); // every register, the xmm ones too
    }
}
