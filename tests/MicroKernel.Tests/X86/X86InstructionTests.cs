using Iced.Intel;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;
using static MicroKernel.Tests.X86.X86FlagTableTests;

namespace MicroKernel.Tests.X86;

/// <summary>Semantics of the non-ALU instructions: moves, stack, control flow, strings, multiply/divide, bits.</summary>
public class X86InstructionTests
{
    private static X86TestMachine Run(Action<Assembler> build, Action<X86TestMachine>? setup = null)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            build(a);
            a.hlt();
        }).WithData();
        setup?.Invoke(m);
        m.Run().ShouldBe(StopReason.Halted, m.Cpu.LastFault?.ToString());
        return m;
    }

    private const ulong Data = X86TestMachine.DataBase;

    [Fact]
    public void Mov_widths_zero_extend_32_and_merge_8_16()
    {
        var m = Run(a =>
        {
            a.mov(rax, -1L);
            a.mov(eax, 0x12345678);  // zero-extends
            a.mov(rbx, -1L);
            a.mov(bx, 0x1234);       // merges
            a.mov(rcx, -1L);
            a.mov(ch, 0x56);         // high byte register
            a.mov(rdx, -1L);
            a.mov(dl, 0x78);
            a.mov(rsi, 0x1122334455667788UL); // movabs
        });
        m.Regs.Rax.ShouldBe(0x12345678UL);
        m.Regs.Rbx.ShouldBe(0xffff_ffff_ffff_1234UL);
        m.Regs.Rcx.ShouldBe(0xffff_ffff_ffff_56ffUL);
        m.Regs.Rdx.ShouldBe(0xffff_ffff_ffff_ff78UL);
        m.Regs.Rsi.ShouldBe(0x1122334455667788UL);
    }

    [Fact]
    public void Movzx_movsx_movsxd_and_conversions()
    {
        var m = Run(a =>
        {
            a.mov(rbx, 0x80);
            a.movzx(eax, bl);
            a.movsx(rcx, bl);
            a.mov(edx, 0x8000_0000);
            a.movsxd(rsi, edx);
            a.mov(rdi, 0xffff);
            a.movsx(edi, di);
            a.mov(r8, -5L);
            a.mov(__qword_ptr[Data], r8);
            a.movzx(r9d, __word_ptr[Data]);
            a.movsx(r10, __byte_ptr[Data]);
        });
        m.Regs.Rax.ShouldBe(0x80UL);
        m.Regs.Rcx.ShouldBe(0xffff_ffff_ffff_ff80UL);
        m.Regs.Rsi.ShouldBe(0xffff_ffff_8000_0000UL);
        m.Regs.Rdi.ShouldBe(0xffff_ffffUL);
        m.Regs.R9.ShouldBe(0xfffbUL);
        m.Regs.R10.ShouldBe(unchecked((ulong)-5L));
    }

    [Theory]
    [InlineData("cbw", 0x80UL, 0xff80UL, 0UL)]
    [InlineData("cwde", 0x8000UL, 0xffff_8000UL, 0UL)]
    [InlineData("cdqe", 0x8000_0000UL, 0xffff_ffff_8000_0000UL, 0UL)]
    [InlineData("cwd", 0x8000UL, 0x8000UL, 0xffffUL)]
    [InlineData("cdq", 0x8000_0000UL, 0x8000_0000UL, 0xffff_ffffUL)]
    [InlineData("cqo", 0x8000_0000_0000_0000UL, 0x8000_0000_0000_0000UL, ulong.MaxValue)]
    [InlineData("cqo", 0x7fffUL, 0x7fffUL, 0UL)]
    public void Sign_extension_of_the_accumulator(string op, ulong rax, ulong expectedRax, ulong expectedRdx)
    {
        var m = Run(a =>
        {
            switch (op)
            {
                case "cbw": a.cbw(); break;
                case "cwde": a.cwde(); break;
                case "cdqe": a.cdqe(); break;
                case "cwd": a.cwd(); break;
                case "cdq": a.cdq(); break;
                default: a.cqo(); break;
            }
        }, m => { m.Regs.Rax = rax; m.Regs.Rdx = 0; });
        m.Regs.Rax.ShouldBe(expectedRax);
        m.Regs.Rdx.ShouldBe(expectedRdx);
    }

    [Fact]
    public void Lea_computes_addresses_without_touching_memory()
    {
        var m = Run(a =>
        {
            a.mov(rbx, 0x1000);
            a.mov(rcx, 3);
            a.lea(rax, __[rbx + rcx * 8 + 0x10]);
            a.lea(edx, __[rbx - 0x2000]);       // 32-bit destination: truncated
            var here = a.CreateLabel();
            a.lea(rsi, __[here]);                 // rip-relative: the next instruction's address
            a.Label(ref here);
            a.nop();
        });
        m.Regs.Rax.ShouldBe(0x1028UL);
        m.Regs.Rdx.ShouldBe(0xffff_f000UL);
        m.Regs.Rsi.ShouldBeGreaterThan(X86TestMachine.CodeBase);
    }

    [Fact]
    public void Memory_operands_with_base_index_scale_and_rip_relative()
    {
        var m = Run(a =>
        {
            var data = a.CreateLabel();
            a.mov(rbx, Data);
            a.mov(rcx, 2);
            a.mov(__qword_ptr[rbx + rcx * 4 + 8], 0x1234);
            a.add(__qword_ptr[rbx + 16], 1);
            a.mov(rax, __qword_ptr[rbx + 16]);
            a.mov(rdx, __qword_ptr[data]);
            a.hlt();
            a.Label(ref data);
            a.dq(0xfeedface_cafebeefUL);
        });
        m.Regs.Rax.ShouldBe(0x1235UL);
        m.Regs.Rdx.ShouldBe(0xfeedface_cafebeefUL);
        m.Memory.Peek(Data + 16, 1)[0].ShouldBe((byte)0x35);
    }

    [Fact]
    public void Fs_and_gs_segment_prefixes_add_the_segment_base()
    {
        var m = Run(a =>
        {
            a.mov(rax, __qword_ptr.fs[8]);
            a.mov(__qword_ptr.gs[0], rax);
        }, m =>
        {
            m.Regs.FsBase = Data;
            m.Regs.GsBase = Data + 0x100;
            m.Memory.Poke(Data + 8, BitConverter.GetBytes(0x42UL));
        });
        m.Regs.Rax.ShouldBe(0x42UL);
        BitConverter.ToUInt64(m.Memory.Peek(Data + 0x100, 8)).ShouldBe(0x42UL);
    }

    [Fact]
    public void Xchg_xadd_cmpxchg_bswap()
    {
        var m = Run(a =>
        {
            a.mov(rax, 1);
            a.mov(rbx, 2);
            a.xchg(rax, rbx);
            a.mov(__qword_ptr[Data], 10);
            a.mov(rcx, 5);
            a.xadd(__qword_ptr[Data], rcx);       // [Data] = 15, rcx = 10
            a.mov(rdx, 0x0102030405060708UL);
            a.bswap(rdx);
            a.mov(esi, 0x11223344);
            a.bswap(esi);
            a.mov(rdi, 7);
            a.mov(r8, 15);
            a.mov(r9, 99);
            a.xchg(rax, rdi);                     // rax = 7, rdi = 2
            a.mov(rax, 15);
            a.@lock.cmpxchg(__qword_ptr[Data], r9); // equal: [Data] = 99, ZF = 1
            a.setz(r10b);
            a.mov(rax, 1);
            a.cmpxchg(__qword_ptr[Data], r8);     // not equal: rax = 99
        });
        m.Regs.Rbx.ShouldBe(1UL);
        m.Regs.Rcx.ShouldBe(10UL);
        m.Regs.Rdx.ShouldBe(0x0807060504030201UL);
        m.Regs.Rsi.ShouldBe(0x44332211UL);
        m.Regs.Rdi.ShouldBe(2UL);
        m.Regs.R10.ShouldBe(1UL);
        m.Regs.Rax.ShouldBe(99UL);
        (m.Regs.Rflags & X86Flags.ZF).ShouldBe(0UL);
    }

    [Fact]
    public void Push_pop_call_ret_and_leave()
    {
        ulong top = X86TestMachine.StackTop;
        var m = Run(a =>
        {
            var func = a.CreateLabel();
            var after = a.CreateLabel();
            a.push(0x11);
            a.push(-1);                   // imm8 sign-extended to 64 bits
            a.pop(rbx);
            a.pop(rcx);
            a.mov(rbp, 0x1234);
            a.push(5);
            a.push(6);
            a.call(func);
            a.jmp(after);
            a.Label(ref func);
            a.push(rbp);
            a.mov(rbp, rsp);
            a.sub(rsp, 0x20);
            a.mov(rax, __qword_ptr[rbp + 16]); // first pushed argument below the return address: 6
            a.leave();
            a.ret(16);                          // also drops the two arguments
            a.Label(ref after);
            a.push(rsp);                        // pushes the old rsp
            a.pop(rdx);
        });
        m.Regs.Rbx.ShouldBe(ulong.MaxValue);
        m.Regs.Rcx.ShouldBe(0x11UL);
        m.Regs.Rax.ShouldBe(6UL);
        m.Regs.Rbp.ShouldBe(0x1234UL);
        m.Regs.Rsp.ShouldBe(top);
        m.Regs.Rdx.ShouldBe(top);
    }

    [Fact]
    public void Pop_to_memory_uses_the_incremented_rsp()
    {
        var m = Run(a =>
        {
            a.push(0x77);
            a.push(0x55);
            a.pop(__qword_ptr[rsp]); // writes 0x55 over the 0x77 slot
            a.pop(rax);
        });
        m.Regs.Rax.ShouldBe(0x55UL);
        m.Regs.Rsp.ShouldBe(X86TestMachine.StackTop);
    }

    [Fact]
    public void Indirect_jmp_and_call_through_register_and_memory()
    {
        var m = Run(a =>
        {
            var target1 = a.CreateLabel();
            var target2 = a.CreateLabel();
            var func = a.CreateLabel();
            var end = a.CreateLabel();
            a.lea(rax, __[target1]);
            a.jmp(rax);
            a.int3();
            a.Label(ref target1);
            a.lea(rbx, __[target2]);
            a.mov(__qword_ptr[Data], rbx);
            a.jmp(__qword_ptr[Data]);
            a.int3();
            a.Label(ref target2);
            a.lea(rcx, __[func]);
            a.mov(__qword_ptr[Data + 8], rcx);
            a.call(__qword_ptr[Data + 8]);
            a.call(rcx);
            a.jmp(end);
            a.Label(ref func);
            a.inc(rdx);
            a.ret();
            a.Label(ref end);
        });
        m.Regs.Rdx.ShouldBe(2UL);
    }

    [Theory]
    [InlineData(5L, 3L)]
    [InlineData(3L, 5L)]
    [InlineData(-1L, 1L)]
    [InlineData(7L, 7L)]
    [InlineData(long.MinValue, 1L)]
    public void Jcc_setcc_and_cmovcc_agree_with_the_comparison(long x, long y)
    {
        var m = Run(a =>
        {
            a.cmp(rax, rbx);
            a.setl(__byte_ptr[Data + 0]);
            a.setg(__byte_ptr[Data + 1]);
            a.setb(__byte_ptr[Data + 2]);
            a.seta(__byte_ptr[Data + 3]);
            a.sete(__byte_ptr[Data + 4]);
            a.setle(__byte_ptr[Data + 5]);
            a.setge(__byte_ptr[Data + 6]);
            a.setbe(__byte_ptr[Data + 7]);
            a.setae(__byte_ptr[Data + 8]);
            a.setne(__byte_ptr[Data + 9]);
            a.mov(rcx, 0);
            a.mov(rdx, 1);
            a.cmovl(rcx, rdx);              // rcx = x < y
            var notLess = a.CreateLabel();
            a.mov(rsi, 0);
            a.jge(notLess);
            a.mov(rsi, 1);
            a.Label(ref notLess);
        }, m => { m.Regs.Rax = (ulong)x; m.Regs.Rbx = (ulong)y; });
        byte[] set = m.Memory.Peek(Data, 10);
        ulong ux = (ulong)x, uy = (ulong)y;
        bool[] expected = [x < y, x > y, ux < uy, ux > uy, x == y, x <= y, x >= y, ux <= uy, ux >= uy, x != y];
        for (int i = 0; i < expected.Length; i++)
            set[i].ShouldBe(expected[i] ? (byte)1 : (byte)0, $"setcc #{i}");
        m.Regs.Rcx.ShouldBe(x < y ? 1UL : 0UL);
        m.Regs.Rsi.ShouldBe(x < y ? 1UL : 0UL);
    }

    [Fact]
    public void Cmov_with_32_bit_operands_zero_extends_even_when_false()
    {
        var m = Run(a =>
        {
            a.mov(rax, -1L);
            a.mov(ebx, 5);
            a.cmp(ebx, ebx);
            a.cmovne(eax, ebx); // condition false, but eax is still written
        });
        m.Regs.Rax.ShouldBe(0xffff_ffffUL);
    }

    [Fact]
    public void Parity_sign_and_overflow_conditions()
    {
        var m = Run(a =>
        {
            a.mov(al, 3);
            a.test(al, al);      // 0b11: even parity
            a.setp(bl);
            a.mov(al, 0x7f);
            a.add(al, 1);        // signed overflow, negative
            a.seto(cl);
            a.sets(dl);
            a.setnp(sil);        // 0x80 has odd parity
        });
        m.Regs.Rbx.ShouldBe(1UL);
        m.Regs.Rcx.ShouldBe(1UL);
        m.Regs.Rdx.ShouldBe(1UL);
        m.Regs.Rsi.ShouldBe(1UL);
    }

    [Fact]
    public void Loop_family_and_jrcxz()
    {
        var m = Run(a =>
        {
            var l1 = a.CreateLabel();
            var l2 = a.CreateLabel();
            var skip = a.CreateLabel();
            a.mov(rcx, 5);
            a.Label(ref l1);
            a.inc(rax);
            a.loop(l1);                 // 5 times
            a.mov(rcx, 10);
            a.Label(ref l2);
            a.inc(rbx);
            a.cmp(rbx, 3);
            a.loopne(l2);               // stops when rbx == 3 (ZF set)
            a.mov(rdx, rcx);
            a.xor(ecx, ecx);
            a.jrcxz(skip);
            a.mov(rsi, 1);
            a.Label(ref skip);
        });
        m.Regs.Rax.ShouldBe(5UL);
        m.Regs.Rbx.ShouldBe(3UL);
        m.Regs.Rdx.ShouldBe(7UL);
        m.Regs.Rsi.ShouldBe(0UL);
    }

    [Fact]
    public void Rep_stos_and_movs_fill_and_copy()
    {
        var m = Run(a =>
        {
            a.mov(rdi, Data);
            a.mov(rax, 0x0101010101010101UL);
            a.mov(rcx, 4);
            a.rep.stosq();
            a.mov(rsi, Data);
            a.mov(rdi, Data + 0x100);
            a.mov(rcx, 32);
            a.rep.movsb();
            a.mov(rdi, Data + 0x200);
            a.mov(al, 0xaa);
            a.stosb();                   // no prefix: one element
        });
        m.Memory.Peek(Data + 0x100, 33).ShouldBe([.. Enumerable.Repeat((byte)1, 32), 0]);
        m.Memory.Peek(Data + 0x200, 1)[0].ShouldBe((byte)0xaa);
        m.Regs.Rcx.ShouldBe(0UL);
        m.Regs.Rsi.ShouldBe(Data + 32);
        m.Regs.Rdi.ShouldBe(Data + 0x201);
    }

    [Fact]
    public void Direction_flag_makes_strings_walk_down()
    {
        var m = Run(a =>
        {
            a.std();
            a.mov(rdi, Data + 24);
            a.mov(rax, 7);
            a.mov(rcx, 4);
            a.rep.stosq();
            a.cld();
        });
        for (int i = 0; i < 4; i++)
            BitConverter.ToUInt64(m.Memory.Peek(Data + (ulong)i * 8, 8)).ShouldBe(7UL);
        m.Regs.Rdi.ShouldBe(Data - 8);
    }

    [Fact]
    public void Repne_scasb_finds_a_byte_and_repe_cmpsb_finds_a_difference()
    {
        var m = Run(a =>
        {
            a.mov(rdi, Data);
            a.mov(al, 0);
            a.mov(rcx, -1L);
            a.repne.scasb();             // strlen idiom
            a.not(rcx);
            a.dec(rcx);
            a.mov(rbx, rcx);             // length 5
            a.mov(rsi, Data);
            a.mov(rdi, Data + 0x10);
            a.mov(rcx, 5);
            a.repe.cmpsb();              // stops after the first difference (index 3)
            a.mov(rdx, rcx);
            a.mov(rsi, Data);
            a.lodsw();
        }, m =>
        {
            m.Memory.Poke(Data, "hello\0"u8);
            m.Memory.Poke(Data + 0x10, "helXo"u8);
        });
        m.Regs.Rbx.ShouldBe(5UL);
        m.Regs.Rdx.ShouldBe(1UL);
        (m.Regs.Rflags & X86Flags.ZF).ShouldBe(0UL);
        (m.Regs.Rax & 0xffff).ShouldBe(0x6568UL); // "he"
    }

    [Fact]
    public void Mul_and_imul_in_all_forms()
    {
        var m = Run(a =>
        {
            a.mov(rax, ulong.MaxValue);
            a.mov(rbx, 2);
            a.mul(rbx);                      // rdx:rax = 2^65 - 2
            a.mov(r8, rax);
            a.mov(r9, rdx);
            a.mov(al, 0x10);
            a.mov(cl, 0x10);
            a.mul(cl);                       // ax = 0x100
            a.mov(r10, rax);
            a.mov(rax, -3L);
            a.mov(rcx, 4);
            a.imul(rcx);                     // rdx:rax = -12
            a.mov(r11, rdx);
            a.imul(rsi, rcx, -5);            // three operands
            a.mov(rdi, 6);
            a.imul(rdi, rcx);                // two operands
        });
        m.Regs.R8.ShouldBe(ulong.MaxValue - 1);
        m.Regs.R9.ShouldBe(1UL);
        (m.Regs.R10 & 0xffff).ShouldBe(0x100UL);
        m.Regs.Rax.ShouldBe(unchecked((ulong)-12L));
        m.Regs.R11.ShouldBe(ulong.MaxValue);
        m.Regs.Rsi.ShouldBe(unchecked((ulong)-20L));
        m.Regs.Rdi.ShouldBe(24UL);
    }

    [Theory]
    [InlineData(0x7fffffffffffffffL, 2L, "CF OF")]   // imul overflow
    [InlineData(-4611686018427387904L, 2L, "")]      // -2^62 * 2 = -2^63 just fits
    [InlineData(-4611686018427387905L, 2L, "CF OF")] // one less does not
    [InlineData(3L, 5L, "")]
    public void Imul_sets_cf_and_of_when_the_product_does_not_fit(long x, long y, string flags)
    {
        var m = Run(a => a.imul(rax, rbx), m => { m.Regs.Rax = (ulong)x; m.Regs.Rbx = (ulong)y; });
        // Only CF and OF are defined for imul (the others are our documented choice, checked elsewhere).
        const ulong defined = X86Flags.CF | X86Flags.OF;
        X86Flags.Format(m.Regs.Rflags & defined).ShouldBe(X86Flags.Format(ParseFlags(flags)));
        m.Regs.Rax.ShouldBe(unchecked((ulong)(x * y)));
    }

    [Fact]
    public void Div_and_idiv_give_quotient_and_remainder()
    {
        var m = Run(a =>
        {
            a.mov(rdx, 1);
            a.mov(rax, 5);
            a.mov(rbx, 4);
            a.div(rbx);                      // (2^64 + 5) / 4
            a.mov(r8, rax);
            a.mov(r9, rdx);
            a.mov(rax, -7L);
            a.cqo();
            a.mov(rbx, 2);
            a.idiv(rbx);                     // -3 remainder -1
            a.mov(r10, rax);
            a.mov(r11, rdx);
            a.mov(ax, 0x0107);
            a.mov(cl, 2);
            a.div(cl);                       // 263 / 2: al = 131, ah = 1
            a.movzx(r12d, ax);
        });
        m.Regs.R8.ShouldBe(0x4000_0000_0000_0001UL);
        m.Regs.R9.ShouldBe(1UL);
        m.Regs.R10.ShouldBe(unchecked((ulong)-3L));
        m.Regs.R11.ShouldBe(ulong.MaxValue);
        m.Regs.R12.ShouldBe(0x0183UL);
    }

    [Fact]
    public void Bit_test_family_including_bit_strings_in_memory()
    {
        var m = Run(a =>
        {
            a.mov(rax, 0b1010);
            a.bt(rax, 1);
            a.setc(bl);
            a.bts(rax, 0);
            a.btr(rax, 3);
            a.btc(rax, 4);
            a.mov(rcx, 67);                   // bit 67 = bit 3 of the qword at Data + 8
            a.bts(__qword_ptr[Data], rcx);
            a.mov(rdx, -1L);                  // bit -1 = bit 63 of the qword at Data - 8... use Data + 8 instead
            a.mov(rdx, 64 + 63);
            a.bt(__qword_ptr[Data], rdx);
            a.setc(sil);
            a.bsf(r8, rax);
            a.bsr(r9, rax);
            a.popcnt(r10, rax);
            a.tzcnt(r11, rax);
            a.lzcnt(r12, rax);
        }, m => m.Memory.Poke(Data + 8, BitConverter.GetBytes(0x8000_0000_0000_0000UL)));
        m.Regs.Rbx.ShouldBe(1UL);
        m.Regs.Rax.ShouldBe(0b10011UL);
        BitConverter.ToUInt64(m.Memory.Peek(Data + 8, 8)).ShouldBe(0x8000_0000_0000_0008UL);
        m.Regs.Rsi.ShouldBe(1UL);
        m.Regs.R8.ShouldBe(0UL);
        m.Regs.R9.ShouldBe(4UL);
        m.Regs.R10.ShouldBe(3UL);
        m.Regs.R11.ShouldBe(0UL);
        m.Regs.R12.ShouldBe(59UL);
    }

    [Fact]
    public void Bsf_of_zero_sets_zf_and_keeps_the_destination()
    {
        var m = Run(a =>
        {
            a.mov(rbx, 0x55);
            a.xor(eax, eax);
            a.bsf(rbx, rax);
        });
        m.Regs.Rbx.ShouldBe(0x55UL);
        (m.Regs.Rflags & X86Flags.ZF).ShouldNotBe(0UL);
    }

    [Fact]
    public void Shld_and_shrd()
    {
        var m = Run(a =>
        {
            a.mov(rax, 0x1234_5678_9abc_def0UL);
            a.mov(rbx, 0xfedc_ba98_7654_3210UL);
            a.mov(rcx, rax);
            a.shld(rax, rbx, 8);
            a.shrd(rcx, rbx, 8);
            a.mov(edx, 0x8000_0001);
            a.mov(esi, 0xffff_ffff);
            a.shld(edx, esi, 1);
        });
        m.Regs.Rax.ShouldBe(0x3456_789a_bcde_f0feUL);
        m.Regs.Rcx.ShouldBe(0x1012_3456_789a_bcdeUL);
        m.Regs.Rdx.ShouldBe(0x0000_0003UL);
        X86Flags.Format(m.Regs.Rflags & (X86Flags.CF | X86Flags.OF)).ShouldBe("CF OF");
    }

    [Fact]
    public void Shift_by_zero_leaves_flags_but_a_32_bit_register_is_still_zero_extended()
    {
        var m = Run(a =>
        {
            a.mov(rax, -1L);
            a.stc();
            a.shl(eax, 0);
        });
        m.Regs.Rax.ShouldBe(0xffff_ffffUL);
        (m.Regs.Rflags & X86Flags.CF).ShouldBe(X86Flags.CF);
    }

    [Fact]
    public void Nops_of_every_form_and_endbr64_do_nothing()
    {
        var m = Run(a =>
        {
            a.nop();
            a.endbr64();
            a.db(0x66, 0x90);                               // xchg ax, ax
            a.db(0x0f, 0x1f, 0x44, 0x00, 0x00);             // nop dword ptr [rax + rax*1 + 0]
            a.db(0x66, 0x0f, 0x1f, 0x84, 0x00, 0, 0, 0, 0); // nop word ptr [rax + rax*1 + 0]
            a.pause();
            a.mov(rbx, 1);
        }, m => m.Regs.Rax = 0xdead_0000_0000); // [rax] is not mapped: a nop must not touch memory
        m.Regs.Rbx.ShouldBe(1UL);
        m.Regs.Rax.ShouldBe(0xdead_0000_0000UL);
        m.Cpu.InstructionsRetired.ShouldBe(8L);
    }

    [Fact]
    public void Flag_instructions_lahf_sahf_pushf_popf()
    {
        var m = Run(a =>
        {
            a.stc();
            a.cmc();                 // CF = 0
            a.mov(ah, 0xd5);         // SF ZF AF PF CF
            a.sahf();
            a.pushfq();
            a.pop(rbx);
            a.clc();
            a.lahf();
            a.push((int)(X86Flags.OF | X86Flags.DF | 2));
            a.popfq();
        });
        (m.Regs.Rbx & X86Flags.Status).ShouldBe(X86Flags.SF | X86Flags.ZF | X86Flags.AF | X86Flags.PF | X86Flags.CF);
        ((m.Regs.Rax >> 8) & 0xff).ShouldBe(0xd6UL); // CF cleared; bit 1 always reads 1
        (m.Regs.Rflags & (X86Flags.Status | X86Flags.DF)).ShouldBe(X86Flags.OF | X86Flags.DF);
    }

    [Fact]
    public void Syscall_stops_after_the_instruction_with_rcx_and_r11_set()
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(eax, 11);
            a.syscall();
            a.mov(rbx, rax);
            a.hlt();
        });
        m.Regs.Rflags |= X86Flags.CF;
        m.Run().ShouldBe(StopReason.Syscall);
        ulong after = m.Regs.Rip;
        m.Regs.Rcx.ShouldBe(after);
        m.Regs.R11.ShouldBe(m.Regs.Rflags);
        m.Regs.Rax.ShouldBe(11UL);
        m.Regs.Rax = 42; // the kernel's result
        m.Run().ShouldBe(StopReason.Halted);
        m.Regs.Rbx.ShouldBe(42UL);
    }
}
