using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

// The dispatch: one switch on the mnemonic. Every handler reads all its inputs and does its memory stores
// before it changes a register, so a faulting instruction leaves the registers as they were.
public sealed partial class X86Cpu
{
    private Step Execute(in Instruction ins)
    {
        switch (ins.Mnemonic)
        {
            // ---- data movement ----
            case Mnemonic.Mov: Mov(in ins); break;
            case Mnemonic.Movzx: Movzx(in ins); break;
            case Mnemonic.Movsx:
            case Mnemonic.Movsxd: Movsx(in ins); break;
            case Mnemonic.Lea: Lea(in ins); break;
            case Mnemonic.Xchg: Xchg(in ins); break;
            case Mnemonic.Xadd: Xadd(in ins); break;
            case Mnemonic.Cmpxchg: Cmpxchg(in ins); break;
            case Mnemonic.Bswap: Bswap(in ins); break;
            case Mnemonic.Cbw: WriteReg(Register.AX, SignExtend(ReadReg(Register.AL), 1)); break;
            case Mnemonic.Cwde: WriteReg(Register.EAX, SignExtend(ReadReg(Register.AX), 2)); break;
            case Mnemonic.Cdqe: WriteReg(Register.RAX, SignExtend(ReadReg(Register.EAX), 4)); break;
            case Mnemonic.Cwd: WriteReg(Register.DX, (ReadReg(Register.AX) & 0x8000) != 0 ? 0xffffUL : 0UL); break;
            case Mnemonic.Cdq: WriteReg(Register.EDX, (ReadReg(Register.EAX) & 0x8000_0000) != 0 ? 0xffff_ffffUL : 0UL); break;
            case Mnemonic.Cqo: WriteReg(Register.RDX, (long)_regs.Rax < 0 ? ulong.MaxValue : 0); break;
            case Mnemonic.Cmovo:
            case Mnemonic.Cmovno:
            case Mnemonic.Cmovb:
            case Mnemonic.Cmovae:
            case Mnemonic.Cmove:
            case Mnemonic.Cmovne:
            case Mnemonic.Cmovbe:
            case Mnemonic.Cmova:
            case Mnemonic.Cmovs:
            case Mnemonic.Cmovns:
            case Mnemonic.Cmovp:
            case Mnemonic.Cmovnp:
            case Mnemonic.Cmovl:
            case Mnemonic.Cmovge:
            case Mnemonic.Cmovle:
            case Mnemonic.Cmovg:
                Cmovcc(in ins); break;
            case Mnemonic.Seto:
            case Mnemonic.Setno:
            case Mnemonic.Setb:
            case Mnemonic.Setae:
            case Mnemonic.Sete:
            case Mnemonic.Setne:
            case Mnemonic.Setbe:
            case Mnemonic.Seta:
            case Mnemonic.Sets:
            case Mnemonic.Setns:
            case Mnemonic.Setp:
            case Mnemonic.Setnp:
            case Mnemonic.Setl:
            case Mnemonic.Setge:
            case Mnemonic.Setle:
            case Mnemonic.Setg:
                WriteOp(in ins, 0, Condition(in ins) ? 1UL : 0, 1); break;

            // ---- arithmetic and logic ----
            case Mnemonic.Add: BinaryAlu(in ins, AluOp.Add); break;
            case Mnemonic.Adc: BinaryAlu(in ins, AluOp.Adc); break;
            case Mnemonic.Sub: BinaryAlu(in ins, AluOp.Sub); break;
            case Mnemonic.Sbb: BinaryAlu(in ins, AluOp.Sbb); break;
            case Mnemonic.And: BinaryAlu(in ins, AluOp.And); break;
            case Mnemonic.Or: BinaryAlu(in ins, AluOp.Or); break;
            case Mnemonic.Xor: BinaryAlu(in ins, AluOp.Xor); break;
            case Mnemonic.Cmp: BinaryAlu(in ins, AluOp.Cmp); break;
            case Mnemonic.Test: BinaryAlu(in ins, AluOp.Test); break;
            case Mnemonic.Inc: IncDec(in ins, +1); break;
            case Mnemonic.Dec: IncDec(in ins, -1); break;
            case Mnemonic.Neg: Neg(in ins); break;
            case Mnemonic.Not: Not(in ins); break;
            case Mnemonic.Mul: Mul(in ins); break;
            case Mnemonic.Imul: Imul(in ins); break;
            case Mnemonic.Div: Div(in ins); break;
            case Mnemonic.Idiv: Idiv(in ins); break;

            // ---- shifts, rotates and bits ----
            case Mnemonic.Shl:
            case Mnemonic.Sal:
            case Mnemonic.Shr:
            case Mnemonic.Sar:
            case Mnemonic.Rol:
            case Mnemonic.Ror:
            case Mnemonic.Rcl:
            case Mnemonic.Rcr:
                ShiftOrRotate(in ins); break;
            case Mnemonic.Shld: case Mnemonic.Shrd: DoubleShift(in ins); break;
            case Mnemonic.Bt: case Mnemonic.Bts: case Mnemonic.Btr: case Mnemonic.Btc: BitTest(in ins); break;
            case Mnemonic.Bsf: case Mnemonic.Bsr: BitScan(in ins); break;
            case Mnemonic.Tzcnt: case Mnemonic.Lzcnt: case Mnemonic.Popcnt: BitCount(in ins); break;

            // ---- flags ----
            case Mnemonic.Clc: _regs.Rflags &= ~X86Flags.CF; break;
            case Mnemonic.Stc: _regs.Rflags |= X86Flags.CF; break;
            case Mnemonic.Cmc: _regs.Rflags ^= X86Flags.CF; break;
            case Mnemonic.Cld: _regs.Rflags &= ~X86Flags.DF; break;
            case Mnemonic.Std: _regs.Rflags |= X86Flags.DF; break;
            case Mnemonic.Lahf:
                WriteReg(Register.AH, (_regs.Rflags & (X86Flags.SF | X86Flags.ZF | X86Flags.AF | X86Flags.PF | X86Flags.CF)) | X86Flags.Reserved1);
                break;
            case Mnemonic.Sahf:
                const ulong sahfMask = X86Flags.SF | X86Flags.ZF | X86Flags.AF | X86Flags.PF | X86Flags.CF;
                _regs.Rflags = (_regs.Rflags & ~sahfMask) | (ReadReg(Register.AH) & sahfMask);
                break;

            // ---- stack ----
            case Mnemonic.Push: Push(in ins); break;
            case Mnemonic.Pop: Pop(in ins); break;
            case Mnemonic.Pushfq: PushValue(_regs.Rflags, 8); break;
            case Mnemonic.Popfq: Popf(); break;
            case Mnemonic.Leave: Leave(in ins); break;

            // ---- control flow: these set rip themselves ----
            case Mnemonic.Jmp:
                _regs.Rip = BranchTarget(in ins);
                return Step.Retired;
            case Mnemonic.Jo:
            case Mnemonic.Jno:
            case Mnemonic.Jb:
            case Mnemonic.Jae:
            case Mnemonic.Je:
            case Mnemonic.Jne:
            case Mnemonic.Jbe:
            case Mnemonic.Ja:
            case Mnemonic.Js:
            case Mnemonic.Jns:
            case Mnemonic.Jp:
            case Mnemonic.Jnp:
            case Mnemonic.Jl:
            case Mnemonic.Jge:
            case Mnemonic.Jle:
            case Mnemonic.Jg:
                _regs.Rip = Condition(in ins) ? ins.NearBranch64 : ins.NextIP;
                return Step.Retired;
            case Mnemonic.Call: Call(in ins); return Step.Retired;
            case Mnemonic.Ret: Ret(in ins); return Step.Retired;
            case Mnemonic.Loop: case Mnemonic.Loope: case Mnemonic.Loopne: Loop(in ins); return Step.Retired;
            case Mnemonic.Jrcxz: _regs.Rip = _regs.Rcx == 0 ? ins.NearBranch64 : ins.NextIP; return Step.Retired;
            case Mnemonic.Jecxz: _regs.Rip = (uint)_regs.Rcx == 0 ? ins.NearBranch64 : ins.NextIP; return Step.Retired;

            // ---- string instructions: they count their own iterations ----
            case Mnemonic.Movsb:
            case Mnemonic.Movsw:
            case Mnemonic.Movsd:
            case Mnemonic.Movsq:
            case Mnemonic.Stosb:
            case Mnemonic.Stosw:
            case Mnemonic.Stosd:
            case Mnemonic.Stosq:
            case Mnemonic.Lodsb:
            case Mnemonic.Lodsw:
            case Mnemonic.Lodsd:
            case Mnemonic.Lodsq:
            case Mnemonic.Cmpsb:
            case Mnemonic.Cmpsw:
            case Mnemonic.Cmpsd:
            case Mnemonic.Cmpsq:
            case Mnemonic.Scasb:
            case Mnemonic.Scasw:
            case Mnemonic.Scasd:
            case Mnemonic.Scasq:
                if (!ins.IsStringInstruction)
                {
                    // SSE2's movsd and cmpsd share the mnemonic with the string instructions.
                    if (!ExecuteSse(in ins))
                        throw Illegal(MnemonicName(in ins));
                    break;
                }
                return StringInstruction(in ins);

            // ---- no-ops and hints ----
            case Mnemonic.Nop: // all forms, including the multi-byte nop dword ptr [...] (memory is not touched)
            case Mnemonic.Endbr64:
            case Mnemonic.Endbr32:
            case Mnemonic.Pause:
            case Mnemonic.Prefetchnta:
            case Mnemonic.Prefetcht0:
            case Mnemonic.Prefetcht1:
            case Mnemonic.Prefetcht2:
            case Mnemonic.Prefetchw:
                break;

            // ---- leaving user mode ----
            case Mnemonic.Syscall:
                // As the hardware does: rcx = return address, r11 = RFLAGS. The kernel's sysret would restore RFLAGS from r11.
                _regs.Rcx = ins.NextIP;
                _regs.R11 = _regs.Rflags;
                _regs.Rip = ins.NextIP;
                return Step.Syscall;
            case Mnemonic.Hlt:
                if (!HaltStops)
                    throw Privileged(in ins);
                _regs.Rip = ins.NextIP;
                return Step.Halt;
            case Mnemonic.Cli:
            case Mnemonic.Sti:
            case Mnemonic.In:
            case Mnemonic.Out:
            case Mnemonic.Insb:
            case Mnemonic.Insw:
            case Mnemonic.Insd:
            case Mnemonic.Outsb:
            case Mnemonic.Outsw:
            case Mnemonic.Outsd:
            case Mnemonic.Lgdt:
            case Mnemonic.Lidt:
            case Mnemonic.Lldt:
            case Mnemonic.Ltr:
            case Mnemonic.Rdmsr:
            case Mnemonic.Wrmsr:
            case Mnemonic.Invlpg:
            case Mnemonic.Wbinvd:
            case Mnemonic.Invd:
            case Mnemonic.Clts:
            case Mnemonic.Swapgs:
            case Mnemonic.Sysret:
            case Mnemonic.Iretq:
            case Mnemonic.Lmsw:
                throw Privileged(in ins);

            case Mnemonic.INVALID:
                throw Illegal("invalid encoding");
            default:
                if (ExecuteSse(in ins)) // SSE and SSE2 (X86Cpu.Sse*); anything else is not implemented
                    break;
                throw Illegal(MnemonicName(in ins));
        }
        _regs.Rip = ins.NextIP;
        return Step.Retired;
    }

    private static string MnemonicName(in Instruction ins) => ins.Mnemonic.ToString().ToLowerInvariant();

    private static X86FaultException Privileged(in Instruction ins) =>
        new(FaultReason.GeneralProtection, null, $"general protection: {MnemonicName(in ins)} is privileged (user mode)");

    // The condition of each jcc/setcc/cmovcc mnemonic, looked up once here instead of per instruction.
    private static readonly ConditionCode[] ConditionOf = BuildConditionTable();

    private static ConditionCode[] BuildConditionTable()
    {
        var table = new ConditionCode[Enum.GetValues<Mnemonic>().Length];
        foreach (Code code in Enum.GetValues<Code>())
        {
            var ins = Instruction.Create(code);
            if (ins.ConditionCode != ConditionCode.None)
                table[(int)code.Mnemonic()] = ins.ConditionCode;
        }
        return table;
    }

    /// <summary>Evaluates the condition of a jcc, setcc or cmovcc against RFLAGS.</summary>
    private bool Condition(in Instruction ins) => Condition(ConditionOf[(int)ins.Mnemonic]);

    /// <summary>Evaluates a condition code against RFLAGS.</summary>
    private bool Condition(ConditionCode cc)
    {
        ulong f = _regs.Rflags;
        bool cf = (f & X86Flags.CF) != 0, zf = (f & X86Flags.ZF) != 0;
        bool sf = (f & X86Flags.SF) != 0, of = (f & X86Flags.OF) != 0;
        return cc switch
        {
            ConditionCode.o => of,
            ConditionCode.no => !of,
            ConditionCode.b => cf,
            ConditionCode.ae => !cf,
            ConditionCode.e => zf,
            ConditionCode.ne => !zf,
            ConditionCode.be => cf || zf,
            ConditionCode.a => !cf && !zf,
            ConditionCode.s => sf,
            ConditionCode.ns => !sf,
            ConditionCode.p => (f & X86Flags.PF) != 0,
            ConditionCode.np => (f & X86Flags.PF) == 0,
            ConditionCode.l => sf != of,
            ConditionCode.ge => sf == of,
            ConditionCode.le => zf || sf != of,
            ConditionCode.g => !zf && sf == of,
            _ => throw Illegal($"condition {cc}"),
        };
    }

    private static ulong SignExtend(ulong value, int size) => size switch
    {
        1 => (ulong)(sbyte)value,
        2 => (ulong)(short)value,
        4 => (ulong)(int)value,
        _ => value,
    };

    private void Mov(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        if (size == 0)
            throw UnsupportedRegister(ins.Op0Register); // mov to a segment, control or debug register
        WriteOp(in ins, 0, ReadOp(in ins, 1, size), size);
    }

    private void Movzx(in Instruction ins)
    {
        int srcSize = OpSize(in ins, 1);
        WriteReg(ins.Op0Register, ReadOp(in ins, 1, srcSize));
    }

    private void Movsx(in Instruction ins)
    {
        int srcSize = OpSize(in ins, 1);
        WriteReg(ins.Op0Register, SignExtend(ReadOp(in ins, 1, srcSize), srcSize));
    }

    private void Lea(in Instruction ins)
    {
        // lea computes the address only: no memory access and no segment base.
        ulong address = ins.MemoryDisplacement64;
        if (ins.MemoryBase is not (Register.None or Register.RIP or Register.EIP))
            address += ReadReg(ins.MemoryBase);
        if (ins.MemoryIndex != Register.None)
            address += ReadReg(ins.MemoryIndex) * (ulong)ins.MemoryIndexScale;
        if (RegSize[(int)ins.MemoryBase] == 4 || RegSize[(int)ins.MemoryIndex] == 4 || ins.MemoryBase == Register.EIP)
            address = (uint)address;
        WriteReg(ins.Op0Register, address);
    }

    private void Xchg(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong a = ReadOp(in ins, 0, size);
        ulong b = ReadOp(in ins, 1, size);
        WriteOp(in ins, 0, b, size); // the memory side (if any) is operand 0: a faulting store changes nothing
        WriteOp(in ins, 1, a, size);
    }

    private void Cmovcc(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong value = ReadOp(in ins, 1, size); // the source is read (and may fault) even when the condition is false
        if (Condition(in ins))
            WriteReg(ins.Op0Register, value);
        else if (size == 4)
            WriteReg(ins.Op0Register, ReadReg(ins.Op0Register)); // a 32-bit cmov zero-extends even when it does not move
    }

    private void Bswap(in Instruction ins)
    {
        ulong v = ReadReg(ins.Op0Register);
        ulong r = RegSize[(int)ins.Op0Register] switch
        {
            8 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(v),
            4 => System.Buffers.Binary.BinaryPrimitives.ReverseEndianness((uint)v),
            _ => 0, // bswap r16 is undefined; Intel and AMD processors clear the register
        };
        WriteReg(ins.Op0Register, r);
    }
}
