using Iced.Intel;

namespace MicroKernel.X86;

// String instructions: movs, stos, lods, cmps, scas, with rep/repe/repne. Each iteration is one unit of the
// budget and one retired instruction. Like an interrupt on real hardware, preemption or a fault in the middle
// of a rep leaves rip on the instruction with rcx/rsi/rdi describing the iterations still to do, so Run simply
// resumes it. (Segment overrides on the source operand are not supported.)
public sealed partial class X86Cpu
{
    private Step StringInstruction(in Instruction ins)
    {
        Mnemonic m = ins.Mnemonic;
        int size = m switch
        {
            Mnemonic.Movsb or Mnemonic.Stosb or Mnemonic.Lodsb or Mnemonic.Cmpsb or Mnemonic.Scasb => 1,
            Mnemonic.Movsw or Mnemonic.Stosw or Mnemonic.Lodsw or Mnemonic.Cmpsw or Mnemonic.Scasw => 2,
            Mnemonic.Movsd or Mnemonic.Stosd or Mnemonic.Lodsd or Mnemonic.Cmpsd or Mnemonic.Scasd => 4,
            _ => 8,
        };
        bool address32 = ins.Op0Kind is OpKind.MemoryESEDI or OpKind.MemorySegESI
            || ins.Op1Kind is OpKind.MemoryESEDI or OpKind.MemorySegESI;
        bool compares = m is Mnemonic.Cmpsb or Mnemonic.Cmpsw or Mnemonic.Cmpsd or Mnemonic.Cmpsq
            or Mnemonic.Scasb or Mnemonic.Scasw or Mnemonic.Scasd or Mnemonic.Scasq;
        bool rep = ins.HasRepPrefix || ins.HasRepnePrefix;

        if (!rep)
        {
            StringStep(m, size, address32);
            _regs.Rip = ins.NextIP;
            _budget--;
            InstructionsRetired++;
            return Step.Counted;
        }

        while (true)
        {
            ulong count = address32 ? (uint)_regs.Rcx : _regs.Rcx;
            if (count == 0)
                break;
            if (_budget <= 0)
                return Step.Counted; // preempted between iterations: rip stays here, the rest runs next time
            StringStep(m, size, address32);
            if (address32)
                WriteReg(Register.ECX, count - 1);
            else
                _regs.Rcx = count - 1;
            _budget--;
            InstructionsRetired++;
            if (compares)
            {
                bool zf = (_regs.Rflags & X86Flags.ZF) != 0;
                if (ins.HasRepePrefix ? !zf : zf)
                {
                    _regs.Rip = ins.NextIP; // repe stops on a difference, repne on a match
                    return Step.Counted;
                }
            }
            if (count - 1 == 0)
            {
                _regs.Rip = ins.NextIP;
                return Step.Counted;
            }
        }
        // rcx was zero to begin with: the instruction does nothing, but still retires.
        _regs.Rip = ins.NextIP;
        _budget--;
        InstructionsRetired++;
        return Step.Counted;
    }

    /// <summary>One iteration: the access(es), then rsi/rdi step by size (down when DF is set).</summary>
    private void StringStep(Mnemonic m, int size, bool address32)
    {
        ulong step = (_regs.Rflags & X86Flags.DF) != 0 ? (ulong)-size : (ulong)size;
        ulong rsi = address32 ? (uint)_regs.Rsi : _regs.Rsi;
        ulong rdi = address32 ? (uint)_regs.Rdi : _regs.Rdi;
        Register accumulator = LowHalf[size];
        switch (m)
        {
            case Mnemonic.Movsb:
            case Mnemonic.Movsw:
            case Mnemonic.Movsd:
            case Mnemonic.Movsq:
                WriteMem(rdi, ReadMem(rsi, size), size);
                SetIndex(Register.RSI, rsi + step, address32);
                SetIndex(Register.RDI, rdi + step, address32);
                break;
            case Mnemonic.Stosb:
            case Mnemonic.Stosw:
            case Mnemonic.Stosd:
            case Mnemonic.Stosq:
                WriteMem(rdi, ReadReg(accumulator), size);
                SetIndex(Register.RDI, rdi + step, address32);
                break;
            case Mnemonic.Lodsb:
            case Mnemonic.Lodsw:
            case Mnemonic.Lodsd:
            case Mnemonic.Lodsq:
                WriteReg(accumulator, ReadMem(rsi, size));
                SetIndex(Register.RSI, rsi + step, address32);
                break;
            case Mnemonic.Cmpsb:
            case Mnemonic.Cmpsw:
            case Mnemonic.Cmpsd:
            case Mnemonic.Cmpsq:
            {
                ulong a = ReadMem(rsi, size), b = ReadMem(rdi, size);
                ulong flags = _regs.Rflags;
                SubFlags(a, b, 0, size, ref flags); // compares [rsi] - [rdi]
                _regs.Rflags = flags;
                SetIndex(Register.RSI, rsi + step, address32);
                SetIndex(Register.RDI, rdi + step, address32);
                break;
            }
            default: // scas
            {
                ulong b = ReadMem(rdi, size);
                ulong flags = _regs.Rflags;
                SubFlags(ReadReg(accumulator), b, 0, size, ref flags); // compares rAX - [rdi]
                _regs.Rflags = flags;
                SetIndex(Register.RDI, rdi + step, address32);
                break;
            }
        }
    }

    private void SetIndex(Register r64, ulong value, bool address32)
    {
        if (address32)
            WriteReg(r64 - Register.RAX + Register.EAX, value);
        else
            WriteReg(r64, value);
    }
}
