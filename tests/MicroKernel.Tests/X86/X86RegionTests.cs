using MicroKernel.Hardware;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>Code in an execute region smaller than a page (as an MPU gives), and the disassembler.</summary>
public class X86RegionTests
{
    /// <summary>Flat memory where only [start, end) may be executed, like an MPU region of a few dozen bytes.</summary>
    private sealed class RegionMemory(FlatX86Memory inner, ulong start, ulong end) : IX86Memory
    {
        public MemoryFault? Read(ulong address, Span<byte> destination, AccessKind kind)
        {
            if (kind == AccessKind.Execute)
            {
                if (address < start || address >= end)
                    return new MemoryFault(address, kind, FaultReason.NoRegion);
                if (address + (ulong)destination.Length > end)
                    return new MemoryFault(end, kind, FaultReason.NoRegion); // the first byte outside the region
            }
            return inner.Read(address, destination, kind);
        }

        public MemoryFault? Write(ulong address, ReadOnlySpan<byte> source) => inner.Write(address, source);

        public MemoryFault? CodePageVersion(ulong address, out ulong version)
        {
            if (address < start || address >= end)
            {
                version = 0;
                return new MemoryFault(address, AccessKind.Execute, FaultReason.NoRegion);
            }
            return inner.CodePageVersion(address, out version);
        }
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Code_in_a_small_region_runs_up_to_the_region_end(bool cache)
    {
        const ulong start = 0x400100;
        var flat = new FlatX86Memory();
        flat.Map(0x400000, 4096, X86Protection.ReadExecute);
        byte[] code = X86TestMachine.Assemble(a =>
        {
            a.mov(eax, 5);
            a.add(eax, 6);
            a.syscall();
            a.mov(ebx, 1); // the last instruction ends exactly at the region end
        }, start);
        flat.Poke(start, code);
        ulong end = start + (ulong)code.Length;
        var cpu = new X86Cpu(new RegionMemory(flat, start, end), cache) { Mode = X86TestMachine.Mode, TranslationThreshold = 0 };
        cpu.Registers = X86Registers.Create(start, 0);

        cpu.Run(100).ShouldBe(StopReason.Syscall, cpu.LastFault?.ToString());
        cpu.Registers.Rax.ShouldBe(11UL);
        cpu.Run(100).ShouldBe(StopReason.Fault);
        cpu.Registers.Rbx.ShouldBe(1UL);
        cpu.LastFault!.Memory.ShouldBe(new MemoryFault(end, AccessKind.Execute, FaultReason.NoRegion));
    }

    [Fact]
    public void Disassembler_lists_address_bytes_and_text()
    {
        var flat = new FlatX86Memory();
        flat.Map(0x400000, 4096, X86Protection.ReadExecute);
        flat.Poke(0x400000, X86TestMachine.Assemble(a =>
        {
            a.mov(eax, 1);
            a.syscall();
        }, 0x400000));
        string text = X86Disassembler.Disassemble(flat, 0x400000, 2);
        text.ShouldContain("0000000000400000  b801000000");
        text.ShouldContain("mov eax,1");
        text.ShouldContain("0000000000400005  0f05");
        text.ShouldContain("syscall");
        X86Disassembler.Disassemble(flat, 0x500000, 1).ShouldContain("??");
    }
}
