using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;
using static MicroKernel.Tests.X86.X86TranslatorTests;

namespace MicroKernel.Tests.X86;

/// <summary>
/// Chained blocks: a hot block is compiled with the blocks it leads to on its page, and a branch between them stays
/// inside the compiled method. The chain must end exactly where the run loop would stop: where the budget does not
/// cover the next block, after a store into the code it would run next, and after its page was unmapped or remapped.
/// Each case runs in lockstep against the interpreter (X86TranslatorTests.Lockstep).
/// </summary>
public sealed class X86BlockChainingTests
{
    private const ulong Code = X86TestMachine.CodeBase;

    /// <summary>A loop of four blocks: the head, an odd and an even path, and the tail that branches back.</summary>
    private static void FourBlockLoop(Assembler asm)
    {
        Label top = asm.CreateLabel(), even = asm.CreateLabel(), next = asm.CreateLabel();
        asm.mov(ecx, 300);
        asm.Label(ref top);
        asm.add(rax, rcx);
        asm.test(cl, 1);
        asm.je(even);
        asm.add(rbx, 3);
        asm.jmp(next);
        asm.Label(ref even);
        asm.sub(rbx, 1);
        asm.Label(ref next);
        asm.dec(ecx);
        asm.jne(top);
        asm.hlt();
    }

    [Fact]
    public void A_hot_block_is_compiled_with_the_blocks_it_leads_to()
    {
        (X86TestMachine a, X86TestMachine b) = Lockstep(FourBlockLoop, 1_000_000, threshold: 2);
        b.Cpu.LastFault.ShouldBeNull();
        b.Cpu.BlocksTranslated.ShouldBe(1);   // one method for the whole loop
        b.Cpu.BlocksChained.ShouldBe(3);      // the odd path, the even path and the tail, chained to the head
        b.Regs.Rbx.ShouldBe(a.Regs.Rbx);
        b.Regs.Rbx.ShouldBe(150UL * 3 - 150); // 150 odd and 150 even turns
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(9)]
    [InlineData(13)]
    [InlineData(100)]
    public void A_budget_that_ends_mid_chain_stops_at_the_interpreters_instruction(int slice)
    {
        (_, X86TestMachine b) = Lockstep(FourBlockLoop, slice, threshold: 2);
        b.Cpu.LastFault.ShouldBeNull();
        if (slice >= 6)
            b.Cpu.BlocksChained.ShouldBeGreaterThan(0);
    }

    /// <summary>
    /// The head calls the next block; the last time round the stack pointer is inside the code, so the call's push
    /// writes the return address over that block's immediate: the chained code must not run the old bytes.
    /// </summary>
    private static void CallPushesIntoItsTarget(Assembler asm)
    {
        Label top = asm.CreateLabel(), target = asm.CreateLabel(), immediateEnd = asm.CreateLabel();
        asm.mov(r14d, 8);
        asm.mov(r13, X86TestMachine.DataBase + 4096); // the stack, on the data page
        asm.lea(r11, __[immediateEnd]);               // the stack inside the code: the push lands on the immediate
        asm.Label(ref top);
        asm.mov(r12, r13);
        asm.cmp(r14d, 1);
        asm.cmove(r12, r11);                          // the last turn
        asm.mov(rsp, r12);
        asm.call(target);
        asm.Label(ref target);
        asm.mov(rax, 0x1111_2222_3333_4444);          // 48 B8 imm64: the push overwrites the imm64
        asm.Label(ref immediateEnd);
        asm.add(rbx, rax);
        asm.dec(r14d);
        asm.jne(top);
        asm.hlt();
    }

    [Theory]
    [InlineData(1_000_000)]
    [InlineData(7)]
    public void A_store_into_the_next_block_breaks_the_chain_and_the_new_code_runs(int slice)
    {
        (X86TestMachine a, X86TestMachine b) = Lockstep(CallPushesIntoItsTarget, slice, X86Protection.All, threshold: 2);
        b.Cpu.LastFault.ShouldBeNull();
        if (slice > 100)
            b.Cpu.BlocksChained.ShouldBeGreaterThan(0);
        ulong returnAddress = b.Regs.Rax; // the last turn loaded the pushed return address
        returnAddress.ShouldBeInRange(Code, Code + 100);
        b.Regs.Rbx.ShouldBe(7 * 0x1111_2222_3333_4444UL + returnAddress);
        b.Regs.Rbx.ShouldBe(a.Regs.Rbx);
    }

    /// <summary>A loop of two blocks that adds imm to rbx 50 times, then a syscall, over and over.</summary>
    private static Action<Assembler> LoopWithSyscall(sbyte imm) => asm =>
    {
        Label top = asm.CreateLabel(), skip = asm.CreateLabel();
        asm.Label(ref top);
        asm.add(rbx, imm);
        asm.inc(rax);
        asm.test(al, 1);
        asm.je(skip);
        asm.add(rdx, 1);
        asm.Label(ref skip);
        asm.cmp(rax, 50);
        asm.jne(top);
        asm.xor(eax, eax);
        asm.syscall();
        asm.jmp(top);
    };

    [Fact]
    public void Unmapping_or_remapping_the_page_between_runs_drops_the_chain()
    {
        X86TestMachine a = Machine(LoopWithSyscall(5), X86CpuMode.Interpret), b = Machine(LoopWithSyscall(5), X86CpuMode.Translate, threshold: 2);
        void Step(string what)
        {
            StopReason sa = a.Run(), sb = b.Run();
            State(b, sb).ShouldBe(State(a, sa), what);
        }
        Step("first run");
        Step("second run");
        b.Cpu.BlocksChained.ShouldBeGreaterThan(0);
        b.Regs.Rbx.ShouldBe(2 * 50 * 5UL);
        byte[] changed = X86TestMachine.Assemble(LoopWithSyscall(7), Code);
        foreach (X86TestMachine m in new[] { a, b })
            m.Memory.Unmap(Code, 4096);
        Step("code unmapped");
        b.Cpu.LastFault.ShouldNotBeNull().Memory!.Value.Reason.ShouldBe(FaultReason.NotPresent);
        foreach (X86TestMachine m in new[] { a, b })
        {
            m.Memory.Map(Code, 4096, X86Protection.ReadExecute);
            m.Memory.Poke(Code, changed);
        }
        Step("code mapped again with add rbx, 7");
        b.Regs.Rbx.ShouldBe(2 * 50 * 5UL + 50 * 7);
        Step("and once more");
        b.Regs.Rbx.ShouldBe(2 * 50 * 5UL + 2 * 50 * 7);
    }
}
