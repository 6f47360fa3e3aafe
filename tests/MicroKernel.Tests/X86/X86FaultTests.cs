using MicroKernel.Hardware;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>Faults: memory protection, #DE, #GP, illegal instructions, and that a faulting instruction commits nothing.</summary>
public class X86FaultTests
{
    private const ulong Data = X86TestMachine.DataBase;

    private static CpuFault Fault(X86TestMachine m)
    {
        m.Run().ShouldBe(StopReason.Fault);
        return m.Cpu.LastFault.ShouldNotBeNull();
    }

    [Fact]
    public void Store_to_a_read_only_page_faults_with_the_disassembled_instruction()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(rbx, Data);
            a.mov(rax, 1);
            a.add(__qword_ptr[rbx + 8], rax);
            a.hlt();
        }).WithData(protection: X86Protection.Read);
        m.Regs.Rflags |= X86Flags.ZF | X86Flags.CF;
        ulong flagsBefore = m.Regs.Rflags;

        CpuFault fault = Fault(m);

        fault.Reason.ShouldBe(FaultReason.ReadOnly);
        fault.Memory.ShouldBe(new MemoryFault(Data + 8, AccessKind.Write, FaultReason.ReadOnly));
        fault.Instruction.ShouldBe("add [rbx+8],rax");
        fault.Rip.ShouldBe(m.Regs.Rip);
        m.Regs.Rflags.ShouldBe(flagsBefore); // add read memory and computed flags, but the store failed: nothing committed
        fault.Registers.Rbx.ShouldBe(Data);
        string report = fault.ToString();
        report.ShouldContain("ReadOnly on write at 0x600008");
        report.ShouldContain("add [rbx+8],rax");
        report.ShouldContain("rbx = 0x0000000000600000");
    }

    [Fact]
    public void Load_from_an_unmapped_page_faults_not_present()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(rax, __qword_ptr[0x1234]);
            a.hlt();
        });
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.NotPresent);
        fault.Memory.ShouldBe(new MemoryFault(0x1234, AccessKind.Read, FaultReason.NotPresent));
        fault.Rip.ShouldBe(X86TestMachine.CodeBase);
        fault.Instruction.ShouldStartWith("mov rax,[");
    }

    [Fact]
    public void Non_canonical_addresses_fault()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(rbx, 0x8000_0000_0000_0000UL);
            a.mov(__byte_ptr[rbx], 1);
            a.hlt();
        });
        Fault(m).Reason.ShouldBe(FaultReason.NonCanonical);
    }

    [Fact]
    public void Jumping_to_a_no_execute_page_faults_on_the_fetch()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(rax, Data);
            a.jmp(rax);
        }).WithData();
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.NoExecute);
        fault.Memory.ShouldBe(new MemoryFault(Data, AccessKind.Execute, FaultReason.NoExecute));
        fault.Rip.ShouldBe(Data);
        fault.Instruction.ShouldBe("??");
    }

    [Fact]
    public void A_push_that_faults_leaves_rsp_and_a_call_leaves_rip()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            var f = a.CreateLabel();
            a.mov(rsp, Data + 4096);   // the data page is read-only
            a.call(f);
            a.Label(ref f);
            a.hlt();
        }).WithData(protection: X86Protection.Read);
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.ReadOnly);
        m.Regs.Rsp.ShouldBe(Data + 4096);
        fault.Instruction.ShouldStartWith("call");
    }

    [Fact]
    public void A_fault_can_be_fixed_and_the_instruction_retried()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(__qword_ptr[Data], 7);
            a.mov(rax, __qword_ptr[Data]);
            a.hlt();
        });
        Fault(m).Reason.ShouldBe(FaultReason.NotPresent);
        m.Memory.Map(Data, 4096, X86Protection.ReadWrite); // what a kernel's page-fault handler would do
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Rax.ShouldBe(7UL);
    }

    [Theory]
    [InlineData(0UL, 5UL, 0UL, "division by zero")]            // div by zero
    [InlineData(4UL, 0UL, 4UL, "quotient too large")]          // rdx >= divisor: quotient needs 65 bits
    public void Div_raises_divide_error_without_changing_registers(ulong rdx, ulong rax, ulong divisor, string why)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.div(rbx);
            a.hlt();
        });
        m.Regs.Rdx = rdx;
        m.Regs.Rax = rax;
        m.Regs.Rbx = divisor;
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.DivideError);
        fault.Message.ShouldContain(why);
        fault.Instruction.ShouldBe("div rbx");
        m.Regs.Rax.ShouldBe(rax);
        m.Regs.Rdx.ShouldBe(rdx);
    }

    [Fact]
    public void Idiv_of_the_most_negative_value_by_minus_one_overflows()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(eax, 0x8000_0000);
            a.cdq();
            a.mov(ecx, -1);
            a.idiv(ecx);
            a.hlt();
        });
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.DivideError);
        fault.Instruction.ShouldBe("idiv ecx");
    }

    [Fact]
    public void Idiv_byte_quotient_out_of_range_overflows()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(ax, 200);
            a.mov(cl, 1);
            a.idiv(cl); // 200 does not fit in a signed byte
            a.hlt();
        });
        Fault(m).Reason.ShouldBe(FaultReason.DivideError);
    }

    [Fact]
    public void Unimplemented_instruction_faults_naming_the_mnemonic()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.nop();
            a.cpuid();
        });
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.IllegalInstruction);
        fault.Message.ShouldBe("illegal instruction: cpuid");
        fault.Rip.ShouldBe(X86TestMachine.CodeBase + 1);
        fault.Instruction.ShouldBe("cpuid");
        m.Cpu.InstructionsRetired.ShouldBe(1L);
    }

    [Fact]
    public void Ud2_and_invalid_encodings_are_illegal()
    {
        var ud2 = X86TestMachine.FromAssembly(a => a.ud2());
        Fault(ud2).Message.ShouldBe("illegal instruction: ud2");

        var invalid = X86TestMachine.FromAssembly(a => a.db(0x06)); // push es: invalid in 64-bit mode
        CpuFault fault = Fault(invalid);
        fault.Reason.ShouldBe(FaultReason.IllegalInstruction);
        fault.Message.ShouldBe("illegal instruction: invalid encoding");

        var badLock = X86TestMachine.FromAssembly(a => a.db(0xf0, 0x89, 0xc0)); // lock mov eax, eax: #UD
        Fault(badLock).Reason.ShouldBe(FaultReason.IllegalInstruction);
    }

    [Fact]
    public void Hlt_and_cli_are_privileged_in_user_mode()
    {
        var hlt = X86TestMachine.FromAssembly(a => a.hlt());
        hlt.Cpu.HaltStops = false;
        CpuFault fault = Fault(hlt);
        fault.Reason.ShouldBe(FaultReason.GeneralProtection);
        fault.Message.ShouldContain("hlt");

        var cli = X86TestMachine.FromAssembly(a => a.cli());
        Fault(cli).Reason.ShouldBe(FaultReason.GeneralProtection);
    }

    [Fact]
    public void Rep_movs_faulting_midway_keeps_the_finished_iterations_and_restarts()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(rsi, Data);
            a.mov(rdi, Data + 4096 - 16); // the page after the data page is not mapped
            a.mov(rcx, 4);
            a.rep.movsq();
            a.hlt();
        }).WithData();
        m.Memory.Poke(Data, [1, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 0, 0, 0, 0]);
        CpuFault fault = Fault(m);
        fault.Memory!.Value.Address.ShouldBe(Data + 4096);
        fault.Instruction.ShouldBe("rep movsq");
        m.Regs.Rcx.ShouldBe(2UL);                 // two iterations done, as on hardware
        m.Regs.Rdi.ShouldBe(Data + 4096);
        m.Memory.Map(Data + 4096, 4096, X86Protection.ReadWrite);
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Rcx.ShouldBe(0UL);
        m.Memory.Peek(Data + 4096, 1)[0].ShouldBe((byte)3);
    }

    [Fact]
    public void Register_dump_is_readable()
    {
        var regs = X86Registers.Create(0x401000, 0x7fff0000);
        regs.Rax = 0x2a;
        regs.Rflags |= X86Flags.ZF | X86Flags.CF;
        string text = regs.ToString();
        output(text);
        text.ShouldContain("rax = 0x000000000000002a");
        text.ShouldContain("rsp = 0x000000007fff0000");
        text.ShouldContain("r15 = 0x0000000000000000");
        text.ShouldContain("rip = 0x0000000000401000");
        text.ShouldContain("[CF ZF IF]");
        text.ShouldContain(" xmm0 = 0x0000000000000000_0000000000000000");
        text.ShouldContain("xmm15 = 0x");
        text.ShouldContain("mxcsr = 0x00001f80 [RN]");
        static void output(string s) => s.Split('\n').Length.ShouldBe(14); // 4 lines of GPRs, rip, 8 of xmm, mxcsr
    }
}
