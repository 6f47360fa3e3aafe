using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Sim.Cli;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// SSE/SSE2 behaviour the host-generated table (X86SseTableTests) does not cover: memory operands and the
/// 16-byte alignment rule, the partial moves, MXCSR loads and unmasked exceptions (#XM), what stays illegal (x87,
/// MMX, SSE3 and later, AVX), the registers in fault reports, and instruction counts with and without the decode cache.
/// </summary>
public class X86SseTests
{
    private const ulong Data = X86TestMachine.DataBase;

    private static X86TestMachine Machine(Action<Assembler> build, bool useDecodeCache = true) =>
        X86TestMachine.FromAssembly(a =>
        {
            a.mov(rbx, Data);
            build(a);
            a.hlt();
        }, useDecodeCache).WithData(8192);

    private static UInt128 V(ulong hi, ulong lo) => new(hi, lo);

    private static CpuFault Fault(X86TestMachine m)
    {
        m.Run().ShouldBe(StopReason.Fault);
        return m.Cpu.LastFault.ShouldNotBeNull();
    }

    [Fact]
    public void Aligned_moves_and_packed_operands_need_16_byte_alignment_and_fault_with_GP()
    {
        foreach (Action<Assembler> op in new Action<Assembler>[]
        {
            a => a.movaps(xmm0, __xmmword_ptr[rbx + 8]),
            a => a.movdqa(__xmmword_ptr[rbx + 4], xmm0),
            a => a.paddd(xmm0, __xmmword_ptr[rbx + 8]),
            a => a.addpd(xmm0, __xmmword_ptr[rbx + 1]),
        })
        {
            X86TestMachine m = Machine(op);
            m.Regs.Xmm[0] = V(7, 8);
            CpuFault fault = Fault(m);
            fault.Reason.ShouldBe(FaultReason.GeneralProtection);
            fault.Message.ShouldContain("needs a 16-byte aligned operand");
            m.Regs.Xmm[0].ShouldBe(V(7, 8));
            m.Regs.Rip.ShouldBe(X86TestMachine.CodeBase + 10); // after mov rbx, imm64: the faulting instruction
            m.Memory.Peek(Data, 32).ShouldAllBe(b => b == 0);
        }
    }

    [Fact]
    public void Unaligned_moves_and_scalar_operands_take_any_address()
    {
        X86TestMachine m = Machine(a =>
        {
            a.movdqu(xmm0, __xmmword_ptr[rbx + 3]);
            a.movups(__xmmword_ptr[rbx + 101], xmm0);
            a.movupd(xmm1, __xmmword_ptr[rbx + 101]);
            a.addsd(xmm2, __qword_ptr[rbx + 3]);  // an 8-byte operand: no alignment rule
            a.movdqu(__xmmword_ptr[rbx + 4090], xmm1); // across a page boundary
        });
        byte[] bytes = [.. Enumerable.Range(1, 16).Select(i => (byte)i)];
        m.Memory.Poke(Data + 3, bytes);
        m.Run().ShouldBe(StopReason.Halted);
        m.Memory.Peek(Data + 101, 16).ShouldBe(bytes);
        m.Memory.Peek(Data + 4090, 16).ShouldBe(bytes);
        m.Regs.Xmm[1].ShouldBe(m.Regs.Xmm[0]);
        m.Regs.Xmm[0].ShouldBe(V(0x100f0e0d0c0b0a09, 0x0807060504030201));
    }

    [Fact]
    public void Scalar_loads_zero_the_upper_lanes_but_register_moves_and_arithmetic_keep_them()
    {
        X86TestMachine m = Machine(a =>
        {
            a.movsd(xmm0, __qword_ptr[rbx]);   // load: upper 64 bits zeroed
            a.movss(xmm1, __dword_ptr[rbx]);   // load: upper 96 bits zeroed
            a.movsd(xmm2, xmm3);               // register: only the low lane
            a.movss(xmm4, xmm3);
            a.addsd(xmm5, xmm3);               // scalar arithmetic keeps the upper lane
            a.movsd(__qword_ptr[rbx + 64], xmm3); // store: 8 bytes only
        });
        m.Memory.Poke(Data, BitConverter.GetBytes(2.0));
        m.Memory.Poke(Data + 72, [0xee]);
        for (int i = 0; i < 6; i++)
            m.Regs.Xmm[i] = V(0xaaaa_aaaa_aaaa_aaaa, 0xbbbb_bbbb_bbbb_bbbb);
        m.Regs.Xmm[3] = V(0x1111_1111_1111_1111, BitConverter.DoubleToUInt64Bits(1.0));
        m.Regs.Xmm[5] = V(0x2222, BitConverter.DoubleToUInt64Bits(0.5));
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Xmm[0].ShouldBe(V(0, BitConverter.DoubleToUInt64Bits(2.0)));
        m.Regs.Xmm[1].ShouldBe(V(0, 0));  // the low dword of 2.0 is 0
        m.Regs.Xmm[2].ShouldBe(V(0xaaaa_aaaa_aaaa_aaaa, BitConverter.DoubleToUInt64Bits(1.0)));
        m.Regs.Xmm[4].ShouldBe(V(0xaaaa_aaaa_aaaa_aaaa, 0xbbbb_bbbb_0000_0000));
        m.Regs.Xmm[5].ShouldBe(V(0x2222, BitConverter.DoubleToUInt64Bits(1.5)));
        m.Memory.Peek(Data + 72, 1)[0].ShouldBe((byte)0xee);
    }

    [Fact]
    public void Half_moves_word_inserts_and_integer_moves_touch_what_they_name()
    {
        X86TestMachine m = Machine(a =>
        {
            a.movhps(xmm0, __qword_ptr[rbx]);
            a.movlpd(xmm1, __qword_ptr[rbx + 8]);
            a.movhpd(__qword_ptr[rbx + 16], xmm0);
            a.pinsrw(xmm2, __word_ptr[rbx], 7);
            a.pextrw(ecx, xmm2, 7);
            a.movd(__dword_ptr[rbx + 24], xmm1);
            a.movq(xmm3, __qword_ptr[rbx + 8]);
            a.mov(rax, -1L);
            a.movnti(__qword_ptr[rbx + 32], rax);
            a.stmxcsr(__dword_ptr[rbx + 40]);
            a.cvtsi2sd(xmm4, __dword_ptr[rbx + 40]);
        });
        m.Memory.Poke(Data, BitConverter.GetBytes(0x1122334455667788UL));
        m.Memory.Poke(Data + 8, BitConverter.GetBytes(0x99aabbccddeeff00UL));
        m.Regs.Xmm[0] = V(5, 6);
        m.Regs.Xmm[1] = V(7, 8);
        m.Regs.Xmm[3] = V(9, 9);
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Xmm[0].ShouldBe(V(0x1122334455667788, 6));
        m.Regs.Xmm[1].ShouldBe(V(7, 0x99aabbccddeeff00));
        BitConverter.ToUInt64(m.Memory.Peek(Data + 16, 8)).ShouldBe(0x1122334455667788UL);
        m.Regs.Xmm[2].ShouldBe(V(0x7788_0000_0000_0000, 0));
        m.Regs.Rcx.ShouldBe(0x7788UL);
        BitConverter.ToUInt32(m.Memory.Peek(Data + 24, 4)).ShouldBe(0xddeeff00u);
        m.Regs.Xmm[3].ShouldBe(V(0, 0x99aabbccddeeff00));
        BitConverter.ToUInt64(m.Memory.Peek(Data + 32, 8)).ShouldBe(ulong.MaxValue);
        BitConverter.ToUInt32(m.Memory.Peek(Data + 40, 4)).ShouldBe(X86Mxcsr.Initial);
        m.Regs.Xmm[4].ShouldBe(V(0, BitConverter.DoubleToUInt64Bits(0x1f80)));
    }

    [Fact]
    public void Maskmovdqu_stores_the_selected_bytes_at_rdi()
    {
        X86TestMachine m = Machine(a =>
        {
            a.lea(rdi, __qword_ptr[rbx + 5]);
            a.maskmovdqu(xmm0, xmm1);
        });
        m.Regs.Xmm[0] = V(0x1010101010101010, 0x0807060504030201);
        m.Regs.Xmm[1] = V(0x8000000000000000, 0x0000000000ff0080);
        m.Run().ShouldBe(StopReason.Halted);
        byte[] bytes = m.Memory.Peek(Data + 5, 16);
        bytes[0].ShouldBe((byte)1);
        bytes[1].ShouldBe((byte)0);
        bytes[2].ShouldBe((byte)3);
        bytes[15].ShouldBe((byte)0x10);
        bytes.Count(b => b != 0).ShouldBe(3);
    }

    [Fact]
    public void An_unmasked_exception_is_a_simd_fault_that_sets_the_flag_and_writes_no_result()
    {
        X86TestMachine m = Machine(a =>
        {
            a.ldmxcsr(__dword_ptr[rbx]);
            a.divsd(xmm0, xmm1);
        });
        m.Memory.Poke(Data, BitConverter.GetBytes(X86Mxcsr.Initial & ~(X86Mxcsr.ZE << X86Mxcsr.MaskShift)));
        m.Regs.Xmm[0] = V(3, BitConverter.DoubleToUInt64Bits(1.0));
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.SimdFloatingPoint);
        fault.Message.ShouldBe("SIMD floating-point exception (#XM): ZE (unmasked in MXCSR)");
        fault.Instruction.ShouldBe("divsd xmm0,xmm1");
        m.Regs.Xmm[0].ShouldBe(V(3, BitConverter.DoubleToUInt64Bits(1.0)));
        (m.Regs.Mxcsr & X86Mxcsr.Flags).ShouldBe(X86Mxcsr.ZE);
        fault.ToString().ShouldContain("mxcsr = 0x00001d84 [ZE RN unmasked:ZE]");

        // Masked again (ldmxcsr rewinds nothing: rip still points at divsd), the same instruction gives +inf.
        m.Regs.Mxcsr = X86Mxcsr.Initial;
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Xmm[0].ShouldBe(V(3, BitConverter.DoubleToUInt64Bits(double.PositiveInfinity)));
        (m.Regs.Mxcsr & X86Mxcsr.Flags).ShouldBe(X86Mxcsr.ZE);
    }

    [Fact]
    public void A_masked_exception_in_one_lane_and_an_unmasked_one_in_another_fault_without_writing_any_lane()
    {
        X86TestMachine m = Machine(a => a.addps(xmm0, xmm1));
        m.Regs.Mxcsr = X86Mxcsr.Initial & ~(X86Mxcsr.IE << X86Mxcsr.MaskShift);
        m.Regs.Xmm[0] = V(0, ((ulong)BitConverter.SingleToUInt32Bits(float.PositiveInfinity) << 32) | BitConverter.SingleToUInt32Bits(0.1f));
        m.Regs.Xmm[1] = V(0, ((ulong)BitConverter.SingleToUInt32Bits(float.NegativeInfinity) << 32) | BitConverter.SingleToUInt32Bits(0.2f));
        UInt128 before = m.Regs.Xmm[0];
        Fault(m).Reason.ShouldBe(FaultReason.SimdFloatingPoint);
        m.Regs.Xmm[0].ShouldBe(before);
        (m.Regs.Mxcsr & X86Mxcsr.Flags).ShouldBe(X86Mxcsr.IE | X86Mxcsr.PE); // 0.1 + 0.2 is inexact (masked), inf - inf invalid
    }

    [Fact]
    public void Ldmxcsr_with_a_reserved_bit_is_a_general_protection_fault()
    {
        X86TestMachine m = Machine(a => a.ldmxcsr(__dword_ptr[rbx]));
        m.Memory.Poke(Data, BitConverter.GetBytes(0x1_1f80u));
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.GeneralProtection);
        fault.Message.ShouldContain("ldmxcsr 0x00011f80 sets reserved bits");
        m.Regs.Mxcsr.ShouldBe(X86Mxcsr.Initial);
    }

    [Theory]
    [InlineData("fld", "illegal instruction: fld")]
    [InlineData("mmx", "illegal instruction: paddb on mmx registers")]
    [InlineData("emms", "illegal instruction: emms")]
    [InlineData("sse3", "illegal instruction: haddpd")]
    [InlineData("ssse3", "illegal instruction: pshufb")]
    [InlineData("sse41", "illegal instruction: pminsd")]
    [InlineData("avx", "illegal instruction: vaddps")]
    [InlineData("fxsave", "illegal instruction: fxsave")]
    public void X87_mmx_and_everything_past_sse2_stay_illegal_and_name_the_mnemonic(string what, string message)
    {
        X86TestMachine m = Machine(a =>
        {
            switch (what)
            {
                case "fld": a.fld(__qword_ptr[rbx]); break;
                case "mmx": a.paddb(mm0, mm1); break;
                case "emms": a.emms(); break;
                case "sse3": a.haddpd(xmm0, xmm1); break;
                case "ssse3": a.pshufb(xmm0, xmm1); break;
                case "sse41": a.pminsd(xmm0, xmm1); break;
                case "avx": a.vaddps(ymm0, ymm1, ymm2); break;
                default: a.fxsave(__[rbx]); break;
            }
        });
        CpuFault fault = Fault(m);
        fault.Reason.ShouldBe(FaultReason.IllegalInstruction);
        fault.Message.ShouldBe(message);
    }

    [Fact]
    public void Sse_instructions_count_one_each_with_and_without_the_decode_cache()
    {
        long Count(bool cache)
        {
            X86TestMachine m = Machine(a =>
            {
                Label loop = a.CreateLabel();
                a.mov(ecx, 100);
                a.Label(ref loop);
                a.addpd(xmm0, xmm1);
                a.cvttsd2si(rax, xmm0);
                a.pshufd(xmm2, xmm0, 0x1b);
                a.dec(ecx);
                a.jnz(loop);
            }, cache);
            m.Regs.Xmm[1] = V(BitConverter.DoubleToUInt64Bits(0.5), BitConverter.DoubleToUInt64Bits(1.25));
            m.Run().ShouldBe(StopReason.Halted);
            m.Regs.Rax.ShouldBe(125UL);
            return m.Cpu.InstructionsRetired;
        }
        Count(cache: true).ShouldBe(2 + 5 * 100 + 1);
        Count(cache: false).ShouldBe(2 + 5 * 100 + 1);
    }

    [Fact]
    public void Movsd_and_cmpsd_are_string_or_sse_instructions_by_encoding()
    {
        X86TestMachine m = Machine(a =>
        {
            a.lea(rsi, __[rbx]);
            a.lea(rdi, __[rbx + 16]);
            a.movsd();                  // the string move: 4 bytes, rsi and rdi advance
            a.movsd(xmm0, xmm1);        // the SSE2 scalar move
            a.cmpsd(xmm0, xmm1, 0);     // SSE2 compare: equal -> all ones
        });
        m.Memory.Poke(Data, [1, 2, 3, 4]);
        m.Regs.Xmm[1] = V(0, BitConverter.DoubleToUInt64Bits(4.0));
        m.Run().ShouldBe(StopReason.Halted);
        m.Memory.Peek(Data + 16, 4).ShouldBe(new byte[] { 1, 2, 3, 4 });
        m.Regs.Rsi.ShouldBe(Data + 4);
        m.Regs.Xmm[0].ShouldBe(V(0, ulong.MaxValue));
    }

    [Fact]
    public void Exec_reports_the_xmm_registers_and_exits_128_plus_simd_fault()
    {
        string dir = Directory.CreateTempSubdirectory("mk-sse-").FullName;
        try
        {
            string path = Path.Combine(dir, "xm");
            File.WriteAllBytes(path, X86TestMachine.Assemble(a =>
            {
                a.mov(rax, 0x4045000000000000L); // 42.0
                a.movq(xmm7, rax);
                a.sub(rsp, 8);
                a.mov(__dword_ptr[rsp], 0x1f80 & ~(1 << 9)); // divide-by-zero unmasked
                a.ldmxcsr(__dword_ptr[rsp]);
                a.xorpd(xmm1, xmm1);
                a.divsd(xmm7, xmm1);
            }, 0x400000));
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = new CliApp(stdout, stderr).Invoke(["exec", path]);
            string report = stderr.ToString();
            code.ShouldBe(128 + (int)FaultReason.SimdFloatingPoint);
            report.ShouldStartWith("fault: pid 1 tid 1: SimdFloatingPoint");
            report.ShouldContain("divsd xmm7,xmm1");
            report.ShouldContain(" xmm7 = 0x0000000000000000_4045000000000000");
            report.ShouldContain("mxcsr = 0x00001d84 [ZE RN unmasked:ZE]");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Each_thread_keeps_its_own_xmm_registers_and_mxcsr_across_preemption()
    {
        // Two processes add to xmm0 in a loop under a different rounding mode each, preempted every 100 instructions;
        // each exits 0 only if its sum and its MXCSR are its own.
        static Action<Assembler> Program(long start, int rounding) => a =>
        {
            Label loop = a.CreateLabel(), bad = a.CreateLabel();
            a.sub(rsp, 8);
            a.mov(__dword_ptr[rsp], 0x1f80 | (rounding << 13));
            a.ldmxcsr(__dword_ptr[rsp]);
            a.mov(rax, start);
            a.movq(xmm0, rax);
            a.mov(eax, 1);
            a.movq(xmm1, rax);
            a.mov(ecx, 5000);
            a.Label(ref loop);
            a.paddq(xmm0, xmm1);
            a.dec(ecx);
            a.jnz(loop);
            a.movq(rax, xmm0);
            a.mov(rdx, start + 5000);
            a.cmp(rax, rdx);
            a.jne(bad);
            a.stmxcsr(__dword_ptr[rsp]);
            a.cmp(__dword_ptr[rsp], 0x1f80 | (rounding << 13));
            a.jne(bad);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.xor(edi, edi);
            a.syscall();
            a.Label(ref bad);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.mov(edi, 1);
            a.syscall();
        };
        var k = new Kernel(new KernelConfig { Frames = 4096, InstructionsPerTick = 100, MaxTicks = 100_000 });
        var processes = new List<Process>();
        foreach ((long start, int rounding) in new[] { (1_000_000L, 1), (7_000_000L, 3) })
        {
            var image = X86Program.FromFlat("sum", FlatBinary.Create(X86TestMachine.Assemble(Program(start, rounding), FlatBinary.DefaultBase)));
            image.CpuMode = X86TestMachine.Mode; // the class's CPU (X86SseTranslatedTests: the translator, every block compiled)
            if (image.CpuMode == X86CpuMode.Translate) image.TranslationThreshold = 0;
            k.Spawn(image, "sum", out Process? p).ShouldBe(ErrorCode.Ok);
            processes.Add(p!);
        }
        (RunResult r, EventLog log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        log.Events.Count(e => e.Kind == EventKind.Switch && e.Text == "preempt").ShouldBeGreaterThan(10);
        processes.ShouldAllBe(p => p.ExitStatus == 0);
    }
}
