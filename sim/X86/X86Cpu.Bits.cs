using System.Numerics;
using Iced.Intel;

namespace MicroKernel.X86;

// Bit test (bt/bts/btr/btc), bit scan (bsf/bsr) and bit counting (tzcnt/lzcnt/popcnt).
// Flags the SDM leaves undefined here are left unchanged (as Bochs does).
public sealed partial class X86Cpu
{
    private void BitTest(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        int bits = size * 8;
        ulong offset = ReadOp(in ins, 1, ins.Op1Kind == OpKind.Register ? RegSize[(int)ins.Op1Register] : 1);
        ulong value;
        ulong address = 0;
        bool memory = ins.Op0Kind == OpKind.Memory;
        if (memory && ins.Op1Kind == OpKind.Register)
        {
            // A register bit offset addresses a bit string: it may reach outside the operand, even below it.
            long signedOffset = (long)SignExtend(offset, size);
            address = EffectiveAddress(in ins) + (ulong)((signedOffset >> BitOperations.Log2((uint)bits)) * size);
            value = ReadMem(address, size);
        }
        else
        {
            if (memory)
                address = EffectiveAddress(in ins);
            value = memory ? ReadMem(address, size) : ReadReg(ins.Op0Register);
        }
        int bit = (int)(offset & (ulong)(bits - 1));
        ulong mask = 1UL << bit;
        bool old = (value & mask) != 0;
        ulong result = ins.Mnemonic switch
        {
            Mnemonic.Bts => value | mask,
            Mnemonic.Btr => value & ~mask,
            Mnemonic.Btc => value ^ mask,
            _ => value,
        };
        if (ins.Mnemonic != Mnemonic.Bt)
        {
            if (memory)
                WriteMem(address, result, size);
            else
                WriteReg(ins.Op0Register, result);
        }
        _regs.Rflags = SetFlag(_regs.Rflags, X86Flags.CF, old);
    }

    /// <summary>BSF/BSR: index of the lowest/highest set bit. A zero source sets ZF and leaves the destination alone.</summary>
    private void BitScan(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong src = ReadOp(in ins, 1, size);
        if (src == 0)
        {
            _regs.Rflags |= X86Flags.ZF;
            return;
        }
        ulong index = ins.Mnemonic == Mnemonic.Bsf
            ? (ulong)BitOperations.TrailingZeroCount(src)
            : (ulong)(63 - BitOperations.LeadingZeroCount(src));
        WriteReg(ins.Op0Register, index);
        _regs.Rflags &= ~X86Flags.ZF;
    }

    /// <summary>TZCNT/LZCNT (CF = source was zero, ZF = result is zero) and POPCNT (ZF = source was zero, others cleared).</summary>
    private void BitCount(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        int bits = size * 8;
        ulong src = ReadOp(in ins, 1, size);
        ulong flags = _regs.Rflags;
        ulong result;
        switch (ins.Mnemonic)
        {
            case Mnemonic.Tzcnt:
                result = src == 0 ? (ulong)bits : (ulong)BitOperations.TrailingZeroCount(src);
                flags = SetFlag(SetFlag(flags, X86Flags.CF, src == 0), X86Flags.ZF, result == 0);
                break;
            case Mnemonic.Lzcnt:
                result = (ulong)(BitOperations.LeadingZeroCount(src) - (64 - bits));
                flags = SetFlag(SetFlag(flags, X86Flags.CF, src == 0), X86Flags.ZF, result == 0);
                break;
            default:
                result = (ulong)BitOperations.PopCount(src);
                flags = SetFlag(flags & ~StatusFlags, X86Flags.ZF, src == 0);
                break;
        }
        WriteReg(ins.Op0Register, result);
        _regs.Rflags = flags;
    }
}
