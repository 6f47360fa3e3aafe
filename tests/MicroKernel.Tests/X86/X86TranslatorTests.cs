using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The block translator against the interpreter, in lockstep: the same program on two machines, one interpreting and
/// one translating every block at once, must stop at the same places with the same registers, counts, faults and
/// memory. Faults inside blocks, scheduling points inside blocks, invalidation, the return address, random programs.
/// </summary>
public sealed class X86TranslatorTests
{
    private const ulong Code = X86TestMachine.CodeBase;
    private const ulong Data = X86TestMachine.DataBase;

    internal static X86TestMachine Machine(Action<Assembler> build, X86CpuMode mode, X86Protection code = X86Protection.ReadExecute,
        int threshold = 0)
    {
        var m = X86TestMachine.FromAssembly(build, codeProtection: code).WithData(8192);
        m.Cpu.Mode = mode;
        m.Cpu.TranslationThreshold = threshold;
        return m;
    }

    /// <summary>What one Run left behind, compared between the two modes.</summary>
    internal static string State(X86TestMachine m, StopReason stop)
    {
        CpuFault? f = m.Cpu.LastFault;
        string fault = f is null ? "-" : $"{f.Reason} {f.Memory} at 0x{f.Rip:x} ({f.Instruction}): {f.Message}\n{f.Registers.FormatRegisters()}";
        return $"{stop} retired {m.Cpu.InstructionsRetired}\n{m.Regs.FormatRegisters()}\nfault: {fault}";
    }

    /// <summary>
    /// Runs both machines in slices of the given budget until they stop for another reason; every step must agree.
    /// threshold: the translating machine's TranslationThreshold (0 compiles each block at once, alone; more lets
    /// the blocks a hot block leads to run first, so they are chained into its method).
    /// </summary>
    internal static (X86TestMachine Interpreted, X86TestMachine Translated) Lockstep(Action<Assembler> build, long slice,
        X86Protection code = X86Protection.ReadExecute, int threshold = 0)
    {
        const int maxRuns = 100_000;
        X86TestMachine a = Machine(build, X86CpuMode.Interpret, code), b = Machine(build, X86CpuMode.Translate, code, threshold);
        for (int run = 0; run < maxRuns; run++)
        {
            StopReason sa = a.Run(slice), sb = b.Run(slice);
            State(b, sb).ShouldBe(State(a, sa), $"run {run} with budget {slice}");
            if (sa != StopReason.BudgetExhausted)
                break;
        }
        b.Memory.Peek(Data, 8192).ShouldBe(a.Memory.Peek(Data, 8192));
        return (a, b);
    }

    [Fact]
    public void A_fault_inside_a_block_reports_the_faulting_instruction_with_the_registers_before_it()
    {
        (X86TestMachine a, X86TestMachine b) = Lockstep(asm =>
        {
            asm.mov(eax, 1);
            asm.add(rbx, rax);
            asm.sub(rcx, 5);                        // its flags are the ones the fault report shows
            asm.mov(rdx, __qword_ptr[0x1000_0000]); // unmapped
            asm.add(rax, 1);
            asm.hlt();
        }, 1000);
        CpuFault fault = b.Cpu.LastFault.ShouldNotBeNull();
        fault.Rip.ShouldBe(Code + 5 + 3 + 4);
        fault.Memory.ShouldBe(new MemoryFault(0x1000_0000, AccessKind.Read, FaultReason.NotPresent));
        fault.Registers.Rflags.ShouldBe(a.Cpu.LastFault!.Registers.Rflags);
        (fault.Registers.Rflags & X86Flags.CF).ShouldBe(X86Flags.CF); // 0 - 5 borrows
        b.Cpu.InstructionsRetired.ShouldBe(3);
        b.Cpu.BlocksTranslated.ShouldBe(1);
    }

    public static TheoryData<string> FaultingInstructions => ["store", "push", "pop", "call", "ret", "div", "alu"];

    [Theory]
    [MemberData(nameof(FaultingInstructions))]
    public void Every_kind_of_fault_inside_a_block_is_the_interpreters_fault_and_a_retry_resumes(string kind)
    {
        void Build(Assembler asm)
        {
            asm.mov(rbx, 0x2000_0000);              // an address that is not mapped
            asm.mov(esi, 3);
            asm.add(esi, 4);
            switch (kind)
            {
                case "store": asm.mov(__qword_ptr[rbx], rsi); break;
                case "push": asm.mov(rsp, rbx); asm.push(rsi); break;
                case "pop": asm.mov(rsp, rbx); asm.pop(rdi); break;
                case "call": asm.call(__qword_ptr[rbx]); break;
                case "ret": asm.mov(rsp, rbx); asm.ret(); break;
                case "div": asm.xor(ecx, ecx); asm.div(rcx); break; // #DE, in the interpreter's code
                default: asm.add(__dword_ptr[rbx + 8], esi); break;
            }
            asm.hlt();
        }
        (X86TestMachine a, X86TestMachine b) = Lockstep(Build, 1000);
        b.Cpu.LastFault.ShouldNotBeNull();
        b.Cpu.InstructionsRetired.ShouldBeGreaterThan(2);
        // The fault again, as a retry without fixing anything must give: the same instruction, the same count.
        StopReason again = b.Run(1000);
        State(b, again).ShouldBe(State(a, a.Run(1000)));
    }

    [Fact]
    public void A_retry_after_the_page_is_mapped_resumes_inside_the_block()
    {
        void Build(Assembler asm)
        {
            asm.mov(eax, 10);
            asm.mov(__qword_ptr[0x3000_0000], rax);
            asm.add(rax, __qword_ptr[0x3000_0000]);
            asm.hlt();
        }
        X86TestMachine a = Machine(Build, X86CpuMode.Interpret), b = Machine(Build, X86CpuMode.Translate);
        foreach (X86TestMachine m in new[] { a, b })
        {
            m.Run().ShouldBe(StopReason.Fault);
            m.Memory.Map(0x3000_0000, 4096, X86Protection.ReadWrite);
            m.Run().ShouldBe(StopReason.Halted);
        }
        State(b, StopReason.Halted).ShouldBe(State(a, StopReason.Halted));
        b.Regs.Rax.ShouldBe(20UL);
    }

    private static void Loop(Assembler asm)
    {
        Label top = asm.CreateLabel(), skip = asm.CreateLabel();
        asm.mov(ecx, 200);
        asm.Label(ref top);
        asm.lea(rax, __[rax + rcx * 2 + 3]);
        asm.xor(rax, rcx);
        asm.mov(__qword_ptr[Data + 8], rax);
        asm.add(rdx, __qword_ptr[Data + 8]);
        asm.test(al, 1);
        asm.je(skip);
        asm.inc(rbx);
        asm.push(rbx);
        asm.pop(rdi);
        asm.Label(ref skip);
        asm.shl(rdx, 1);                           // interpreted
        asm.sub(ecx, 1);
        asm.jne(top);
        asm.hlt();
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(5)]
    [InlineData(7)]
    [InlineData(11)]
    [InlineData(13)]
    [InlineData(64)]
    [InlineData(65)]
    [InlineData(1000)]
    public void Every_budget_stops_at_the_same_instruction_as_the_interpreter(int slice)
    {
        (_, X86TestMachine b) = Lockstep(Loop, slice);
        b.Cpu.LastFault.ShouldBeNull();
        b.Regs.Rip.ShouldBe(b.Regs.Rip); // halted: Lockstep compared every stop on the way
        if (slice >= 7)
            b.Cpu.BlocksTranslated.ShouldBeGreaterThan(0);
    }

    [Fact]
    public void A_block_runs_interpreted_until_it_reaches_the_threshold()
    {
        var m = Machine(Loop, X86CpuMode.Translate);
        m.Cpu.TranslationThreshold = 1_000_000;
        m.Run().ShouldBe(StopReason.Halted);
        m.Cpu.BlocksTranslated.ShouldBe(0);
        var hot = Machine(Loop, X86CpuMode.Translate);
        hot.Cpu.TranslationThreshold = 5;
        hot.Run().ShouldBe(StopReason.Halted);
        hot.Cpu.BlocksTranslated.ShouldBeInRange(1, 4);
        State(hot, StopReason.Halted).ShouldBe(State(m, StopReason.Halted));
    }

    [Fact]
    public void A_block_is_dropped_when_its_page_is_written_between_runs()
    {
        var m = Machine(asm =>
        {
            asm.mov(eax, 1);
            asm.add(ebx, eax);
            asm.syscall();
            asm.jmp(Code);
        }, X86CpuMode.Translate);
        m.Run().ShouldBe(StopReason.Syscall);
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rbx.ShouldBe(2UL);
        int translated = m.Cpu.BlocksTranslated;
        m.Memory.Poke(Code + 1, [5, 0, 0, 0]); // "mov eax, 5"
        m.Run().ShouldBe(StopReason.Syscall);
        m.Regs.Rbx.ShouldBe(7UL);
        m.Cpu.BlocksTranslated.ShouldBeGreaterThan(translated); // compiled again from the new bytes
    }

    [Fact]
    public void A_store_into_the_running_block_ends_it_and_the_new_code_runs()
    {
        // The store patches the immediate of the add two instructions on, inside the same block.
        (_, X86TestMachine b) = Lockstep(asm =>
        {
            Label patched = asm.CreateLabel();
            asm.lea(rdx, __[patched]);
            asm.mov(__byte_ptr[rdx + 2], 9);
            asm.nop();
            asm.Label(ref patched);
            asm.add(rax, 1);                        // 48 83 C0 01: becomes add rax, 9
            asm.hlt();
        }, 1000, X86Protection.All);
        b.Cpu.LastFault.ShouldBeNull();
        b.Regs.Rax.ShouldBe(9UL);
    }

    [Fact]
    public void The_return_address_stops_a_run_inside_straight_line_code()
    {
        void Build(Assembler asm)
        {
            asm.mov(eax, 1);                        // 5 bytes
            asm.mov(ebx, 2);                        // 5 bytes: the return address is the next one
            asm.mov(ecx, 3);
            asm.hlt();
        }
        X86TestMachine a = Machine(Build, X86CpuMode.Interpret), b = Machine(Build, X86CpuMode.Translate);
        foreach (X86TestMachine m in new[] { a, b })
        {
            m.Cpu.ReturnAddress = Code + 10;
            m.Run().ShouldBe(StopReason.Returned);
        }
        State(b, StopReason.Returned).ShouldBe(State(a, StopReason.Returned));
        b.Regs.Rcx.ShouldBe(0UL);
    }

    [Fact]
    public void Translate_without_the_decode_cache_interprets()
    {
        var m = X86TestMachine.FromAssembly(Loop, useDecodeCache: false).WithData();
        m.Cpu.Mode = X86CpuMode.Translate;
        m.Run().ShouldBe(StopReason.Halted);
        m.Cpu.BlocksTranslated.ShouldBe(0);
    }

    [Fact]
    public void Bad_settings_are_refused()
    {
        var cpu = new X86Cpu(new FlatX86Memory());
        Should.Throw<ArgumentOutOfRangeException>(() => cpu.Mode = (X86CpuMode)7);
        Should.Throw<ArgumentOutOfRangeException>(() => cpu.TranslationThreshold = -1);
        cpu.Mode.ShouldBe(X86CpuMode.Interpret);
        cpu.TranslationThreshold.ShouldBe(X86Cpu.DefaultTranslationThreshold);
    }

    // ---- random programs ----

    private static readonly AssemblerRegister64[] Regs64 = [rax, rbx, rcx, rdx, rsi, rdi, r8, r9];
    private static readonly AssemblerRegister32[] Regs32 = [eax, ebx, ecx, edx, esi, edi, r8d, r9d];
    private static readonly AssemblerRegister16[] Regs16 = [ax, bx, cx, dx, si, di];
    private static readonly AssemblerRegister8[] Regs8 = [al, bl, cl, dl, ah, bh, sil, r8b];

    /// <summary>
    /// A random straight program of the translated subset and its neighbours (shifts, mul, setcc, cmov, string
    /// stores, which the interpreter runs) at every width, on registers and on a data page addressed by r15, with
    /// forward jcc, and a loop around it all.
    /// </summary>
    private static Action<Assembler> RandomProgram(int seed) => asm =>
    {
        var random = new TestRandom((ulong)seed);
        Label top = asm.CreateLabel();
        asm.mov(r15, Data);
        asm.mov(r14d, 4);
        for (int i = 0; i < 8; i++)
            asm.mov(Regs64[i], unchecked((long)(((ulong)random.Next() << 33) ^ ((ulong)random.Next() << 11) ^ (ulong)random.Next())));
        asm.Label(ref top);
        var pending = new List<(Label Label, int At)>();
        for (int i = 0; i < 60; i++)
        {
            foreach ((Label label, int at) in pending.Where(p => p.At == i).ToList())
            {
                Label l = label;
                asm.Label(ref l);
            }
            AssemblerRegister64 r = Regs64[random.Next(Regs64.Length)], s = Regs64[random.Next(Regs64.Length)];
            AssemblerRegister32 r32 = Regs32[random.Next(Regs32.Length)], s32 = Regs32[random.Next(Regs32.Length)];
            AssemblerRegister16 r16 = Regs16[random.Next(Regs16.Length)], s16 = Regs16[random.Next(Regs16.Length)];
            AssemblerRegister8 r8r = Regs8[random.Next(4)], s8 = Regs8[random.Next(4)];
            int imm = random.Next(-200, 200);
            int off = random.Next(0, 512) * 8;
            switch (random.Next(30))
            {
                case 0: asm.add(r, s); break;
                case 1: asm.sub(r32, imm); break;
                case 2: asm.adc(r16, s16); break;
                case 3: asm.sbb(r8r, s8); break;
                case 4: asm.and(r, imm); break;
                case 5: asm.or(__qword_ptr[r15 + off], s); break;
                case 6: asm.xor(r32, __dword_ptr[r15 + off]); break;
                case 7: asm.cmp(r, s); break;
                case 8: asm.test(r8r, s8); break;
                case 9: asm.inc(r16); break;
                case 10: asm.dec(__dword_ptr[r15 + off]); break;
                case 11: asm.neg(r32); break;
                case 12: asm.not(__word_ptr[r15 + off]); break;
                case 13: asm.mov(__qword_ptr[r15 + off], r); break;
                case 14: asm.mov(r8r, __byte_ptr[r15 + off + 3]); break;
                case 15: asm.movzx(r32, s16); break;
                case 16: asm.movsx(r, __byte_ptr[r15 + off]); break;
                case 17: asm.movsxd(r, s32); break;
                case 18: asm.lea(r32, __[s + r * 4 + imm]); break;
                case 19: asm.push(r); asm.pop(s); break;
                case 20: asm.push(__qword_ptr[r15 + off]); asm.pop(__qword_ptr[r15 + off + 8]); break;
                case 21: asm.shl(r, (byte)random.Next(0, 70)); break;
                case 22: asm.imul(r32, s32); break;
                case 23: asm.setb(r8r); break;
                case 24: asm.cmovle(r, s); break;
                case 25: asm.add(__byte_ptr[r15 + off], (byte)imm); break;
                case 26:
                    Label ahead = asm.CreateLabel();
                    pending.Add((ahead, i + 1 + random.Next(1, 6)));
                    switch (random.Next(4))
                    {
                        case 0: asm.jl(ahead); break;
                        case 1: asm.jbe(ahead); break;
                        case 2: asm.jp(ahead); break;
                        default: asm.jo(ahead); break;
                    }
                    break;
                case 27: asm.mov(r32, imm); break;
                case 28: asm.xchg(r, s); break;
                default: asm.cmp(__qword_ptr[r15 + off], imm); break;
            }
        }
        foreach ((Label label, int at) in pending.Where(p => p.At >= 60))
        {
            Label l = label;
            asm.Label(ref l);
        }
        asm.pushfq();
        asm.pop(__qword_ptr[r15 + 4096]);
        asm.dec(r14d);
        asm.jne(top);
        asm.hlt();
    };

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    [InlineData(5)]
    [InlineData(6)]
    [InlineData(7)]
    [InlineData(8)]
    public void Random_programs_run_the_same_under_both_modes(int seed)
    {
        (X86TestMachine a, X86TestMachine b) = Lockstep(RandomProgram(seed), 1_000_000);
        a.Cpu.LastFault.ShouldBeNull();
        b.Cpu.TranslatedInstructions.Native.ShouldBeGreaterThan(b.Cpu.TranslatedInstructions.Interpreted);
        Lockstep(RandomProgram(seed), 37); // scheduling points inside blocks
        (_, X86TestMachine chained) = Lockstep(RandomProgram(seed), 1_000_000, threshold: 1); // jcc targets chained
        chained.Cpu.BlocksChained.ShouldBeGreaterThan(0);
        Lockstep(RandomProgram(seed), 37, threshold: 1);
    }
}
