using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

// Every CPU-level fixture again under the block translator: each class inherits all the tests of its interpreter
// fixture and makes its machines translate (X86TestMachine.Mode, which flows from the constructor to the test).
// With TranslationThreshold = 0 every block is compiled the first time it runs, so these tests run translated code.

/// <summary><see cref="X86InstructionTests"/> under <see cref="X86CpuMode.Translate"/>.</summary>
public sealed class X86InstructionTranslatedTests : X86InstructionTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86InstructionTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;

    [Fact]
    public void Its_machines_really_translate()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(eax, 1);
            a.add(eax, 2);
            a.hlt();
        });
        m.Cpu.Mode.ShouldBe(X86CpuMode.Translate);
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Rax.ShouldBe(3UL);
        m.Cpu.BlocksTranslated.ShouldBe(1); // mov, add (hlt is the run loop's)
        m.Cpu.TranslatedInstructions.ShouldBe((2, 0));
    }
}

/// <summary><see cref="X86FlagTableTests"/> (1400 rows from real hardware) under <see cref="X86CpuMode.Translate"/>.</summary>
public sealed class X86FlagTableTranslatedTests : X86FlagTableTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86FlagTableTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86MulDivTableTests"/> under <see cref="X86CpuMode.Translate"/>.</summary>
public sealed class X86MulDivTableTranslatedTests : X86MulDivTableTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86MulDivTableTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86ShiftFormTests"/> under <see cref="X86CpuMode.Translate"/>.</summary>
public sealed class X86ShiftFormTranslatedTests : X86ShiftFormTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86ShiftFormTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86SseTableTests"/> under <see cref="X86CpuMode.Translate"/>.</summary>
public sealed class X86SseTableTranslatedTests : X86SseTableTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86SseTableTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86SseTests"/> under <see cref="X86CpuMode.Translate"/>.</summary>
public sealed class X86SseTranslatedTests : X86SseTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86SseTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86FaultTests"/> under <see cref="X86CpuMode.Translate"/>: faults inside blocks.</summary>
public sealed class X86FaultTranslatedTests : X86FaultTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86FaultTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86DecodeCacheTests"/> under <see cref="X86CpuMode.Translate"/>: invalidation drops blocks.</summary>
public sealed class X86DecodeCacheTranslatedTests : X86DecodeCacheTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86DecodeCacheTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}

/// <summary><see cref="X86RegionTests"/> under <see cref="X86CpuMode.Translate"/>: code in regions smaller than a page.</summary>
public sealed class X86RegionTranslatedTests : X86RegionTests
{
    /// <summary>Machines of these tests translate.</summary>
    public X86RegionTranslatedTests() => X86TestMachine.Mode = X86CpuMode.Translate;
}
