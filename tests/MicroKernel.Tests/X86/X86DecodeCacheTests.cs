using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>The decoded-instruction cache: invalidation, page-crossing instructions, and deterministic budgets.</summary>
public class X86DecodeCacheTests
{
    private const ulong Code = X86TestMachine.CodeBase;

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Self_modifying_store_to_a_cached_instruction_is_seen_on_the_next_pass(bool cache)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            var target = a.CreateLabel();
            a.mov(rcx, 2);
            a.Label(ref target);
            a.mov(eax, 1);                        // B8 imm32: its immediate is patched below
            a.add(rbx, rax);
            a.lea(rdx, __[target]);
            a.mov(__byte_ptr[rdx + 1], 5);        // now "mov eax, 5"
            a.dec(rcx);
            a.jnz(target);
            a.hlt();
        }, cache, X86Protection.All);
        m.Run().ShouldBe(StopReason.Halted, m.Cpu.LastFault?.ToString());
        m.Regs.Rbx.ShouldBe(6UL); // 1, then 5
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Self_modifying_store_to_the_very_next_instruction_is_seen(bool cache)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            var loop = a.CreateLabel();
            var next = a.CreateLabel();
            a.mov(rcx, 2);
            a.Label(ref loop);
            a.lea(rdx, __[next]);
            a.mov(__byte_ptr[rdx + 1], cl);       // patches the immediate of the instruction right after
            a.Label(ref next);
            a.mov(eax, 0);                        // pass 1: decoded as "mov eax, 2"; pass 2: cached, then patched to 1
            a.add(rbx, rax);
            a.dec(rcx);
            a.jnz(loop);
            a.hlt();
        }, cache, X86Protection.All);
        m.Run().ShouldBe(StopReason.Halted, m.Cpu.LastFault?.ToString());
        m.Regs.Rbx.ShouldBe(3UL); // 2 + 1; a stale decode would give 2 + 2
    }

    [Fact]
    public void Strict_store_checking_gives_the_same_results()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            var target = a.CreateLabel();
            a.mov(rcx, 2);
            a.Label(ref target);
            a.mov(eax, 1);
            a.add(rbx, rax);
            a.lea(rdx, __[target]);
            a.mov(__byte_ptr[rdx + 1], 5);
            a.dec(rcx);
            a.jnz(target);
            a.hlt();
        }, true, X86Protection.All);
        m.Cpu.CheckCodeAfterEveryStore = true;
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Rbx.ShouldBe(6UL);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void A_write_by_the_kernel_between_runs_is_seen(bool cache)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(eax, 1);
            a.syscall();
            a.jmp(Code);
        }, cache);
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rax.ShouldBe(1UL);
        m.Memory.Poke(Code + 1, [2, 0, 0, 0]); // "mov eax, 2", written while the thread was in the kernel
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rax.ShouldBe(2UL);
        if (cache)
            m.Cpu.CachedCodePages.ShouldBe(1);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Unmap_and_remap_with_new_code_is_seen(bool cache)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(eax, 1);
            a.syscall();
            a.jmp(Code);
        }, cache);
        m.Run().ShouldBe(StopReason.Syscall);

        m.Memory.Unmap(Code, 4096);
        m.Run().ShouldBe(StopReason.Fault);
        m.Cpu.LastFault!.Memory.ShouldBe(new MemoryFault(Code + 7, AccessKind.Execute, FaultReason.NotPresent)); // after the syscall

        m.Memory.Map(Code, 4096, X86Protection.ReadExecute);
        m.Memory.Poke(Code, X86TestMachine.Assemble(a =>
        {
            a.mov(eax, 3);
            a.syscall();
        }, Code));
        m.Regs.Rip = Code;
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rax.ShouldBe(3UL);
    }

    [Fact]
    public void Removing_execute_permission_is_seen_at_the_next_run()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.syscall();
            a.jmp(Code);
        });
        m.Run().ShouldBe(StopReason.Syscall);
        m.Memory.Protect(Code, 4096, X86Protection.Read);
        m.Run().ShouldBe(StopReason.Fault);
        m.Cpu.LastFault!.Reason.ShouldBe(FaultReason.NoExecute);
    }

    /// <summary>Places "mov rax, imm64" (10 bytes) so that it starts 4 bytes before the end of the first code page.</summary>
    private static X86TestMachine Straddling(bool cache, X86Protection secondPage)
    {
        var m = new X86TestMachine(cache);
        ulong start = Code + 4096 - 4;
        m.Memory.Map(Code, 4096, X86Protection.ReadExecute);
        m.Memory.Map(Code + 4096, 4096, secondPage);
        byte[] bytes = X86TestMachine.Assemble(a =>
        {
            a.mov(rax, 0x1122334455667788UL);
            a.add(rbx, rax);
            a.syscall();
            a.jmp(start);
        }, start);
        m.Memory.Poke(start, bytes);
        m.Regs.Rip = start;
        return m;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Instruction_crossing_a_page_boundary_runs_and_sees_changes_to_either_page(bool cache)
    {
        var m = Straddling(cache, X86Protection.ReadExecute);
        m.Run().ShouldBe(StopReason.Syscall, m.Cpu.LastFault?.ToString());
        m.Regs.Rax.ShouldBe(0x1122334455667788UL);

        m.Memory.Poke(Code + 4096 + 5, [0x99]);  // the top byte of the immediate, on the second page
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rax.ShouldBe(0x9922334455667788UL);

        m.Memory.Poke(Code + 4096 - 2, [0x00]);  // the low byte, on the first page
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rax.ShouldBe(0x9922334455667700UL);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Instruction_crossing_into_a_no_execute_page_faults_at_that_page(bool cache)
    {
        var m = Straddling(cache, X86Protection.Read);
        m.Run().ShouldBe(StopReason.Fault);
        CpuFault fault = m.Cpu.LastFault!;
        fault.Memory.ShouldBe(new MemoryFault(Code + 4096, AccessKind.Execute, FaultReason.NoExecute));
        fault.Rip.ShouldBe(Code + 4096 - 4);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Instruction_ending_at_the_page_end_does_not_touch_the_next_page(bool cache)
    {
        var m = new X86TestMachine(cache);
        m.Memory.Map(Code, 4096, X86Protection.ReadExecute);
        ulong start = Code + 4096 - 5;
        m.Memory.Poke(start, X86TestMachine.Assemble(a => a.mov(eax, 0x42), start)); // 5 bytes, ends at the page end
        m.Regs.Rip = start;
        m.Run().ShouldBe(StopReason.Fault);
        m.Regs.Rax.ShouldBe(0x42UL);
        m.Cpu.LastFault!.Rip.ShouldBe(Code + 4096); // the next fetch faults, not the mov
    }

    private static Action<Assembler> Compute => a =>
    {
        var outer = a.CreateLabel();
        a.mov(rcx, 300);
        a.Label(ref outer);
        a.imul(rax, rax, 31);
        a.add(rax, rcx);
        a.rol(rax, 5);
        a.mov(__qword_ptr[X86TestMachine.DataBase + 8], rax);
        a.mov(rdi, X86TestMachine.DataBase + 64);
        a.mov(rdx, rcx);
        a.xchg(rcx, rdx);
        a.mov(rcx, 7);
        a.rep.stosq();                   // 7 iterations, each a unit of the budget
        a.mov(rcx, rdx);
        a.loop(outer);
        a.hlt();
    };

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(17)]
    [InlineData(1000)]
    public void Preemption_at_any_budget_gives_the_same_result_and_count(int slice)
    {
        var whole = X86TestMachine.FromAssembly(Compute).WithData();
        whole.Run(10_000_000).ShouldBe(StopReason.Halted);

        var sliced = X86TestMachine.FromAssembly(Compute, useDecodeCache: slice % 2 == 0).WithData();
        long runs = 0;
        StopReason stop;
        do
        {
            long before = sliced.Cpu.InstructionsRetired;
            stop = sliced.Run(slice);
            (sliced.Cpu.InstructionsRetired - before).ShouldBeLessThanOrEqualTo(slice);
            if (stop == StopReason.BudgetExhausted)
                (sliced.Cpu.InstructionsRetired - before).ShouldBe(slice);
            runs++;
        } while (stop == StopReason.BudgetExhausted);

        stop.ShouldBe(StopReason.Halted);
        sliced.Regs.Rax.ShouldBe(whole.Regs.Rax);
        sliced.Cpu.InstructionsRetired.ShouldBe(whole.Cpu.InstructionsRetired);
        runs.ShouldBeGreaterThanOrEqualTo(whole.Cpu.InstructionsRetired / slice);
    }

    [Fact]
    public void Zero_budget_executes_nothing()
    {
        var m = X86TestMachine.FromAssembly(a => a.hlt());
        m.Run(0).ShouldBe(StopReason.BudgetExhausted);
        m.Regs.Rip.ShouldBe(Code);
        m.Cpu.InstructionsRetired.ShouldBe(0L);
    }
}
