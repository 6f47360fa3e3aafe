using System.Numerics;
using Iced.Intel;

namespace MicroKernel.X86;

// Add, subtract and logic with their flags, computed as the Intel SDM defines them.
public sealed partial class X86Cpu
{
    private enum AluOp { Add, Adc, Sub, Sbb, And, Or, Xor, Cmp, Test }

    private const ulong StatusFlags = X86Flags.Status;

    private void BinaryAlu(in Instruction ins, AluOp op)
    {
        int size = OpSize(in ins, 0);
        ulong a = ReadOp(in ins, 0, size);
        ulong b = ReadOp(in ins, 1, size);
        ulong flags = _regs.Rflags;
        ulong carryIn = flags & X86Flags.CF;
        ulong result = op switch
        {
            AluOp.Add => AddFlags(a, b, 0, size, ref flags),
            AluOp.Adc => AddFlags(a, b, carryIn, size, ref flags),
            AluOp.Sub or AluOp.Cmp => SubFlags(a, b, 0, size, ref flags),
            AluOp.Sbb => SubFlags(a, b, carryIn, size, ref flags),
            AluOp.And or AluOp.Test => LogicFlags(a & b, size, ref flags),
            AluOp.Or => LogicFlags(a | b, size, ref flags),
            _ => LogicFlags(a ^ b, size, ref flags),
        };
        if (op is not (AluOp.Cmp or AluOp.Test))
            WriteOp(in ins, 0, result, size);
        _regs.Rflags = flags; // only after the store succeeded
    }

    private void IncDec(in Instruction ins, int delta)
    {
        int size = OpSize(in ins, 0);
        ulong a = ReadOp(in ins, 0, size);
        ulong flags = _regs.Rflags;
        ulong cf = flags & X86Flags.CF;
        ulong result = delta > 0 ? AddFlags(a, 1, 0, size, ref flags) : SubFlags(a, 1, 0, size, ref flags);
        flags = (flags & ~X86Flags.CF) | cf; // inc and dec leave CF alone
        WriteOp(in ins, 0, result, size);
        _regs.Rflags = flags;
    }

    private void Neg(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong a = ReadOp(in ins, 0, size);
        ulong flags = _regs.Rflags;
        ulong result = SubFlags(0, a, 0, size, ref flags); // CF = (a != 0), as 0 - a borrows exactly then
        WriteOp(in ins, 0, result, size);
        _regs.Rflags = flags;
    }

    private void Not(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        WriteOp(in ins, 0, ~ReadOp(in ins, 0, size) & SizeMask[size], size); // no flags
    }

    private void Xadd(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong dest = ReadOp(in ins, 0, size);
        ulong src = ReadOp(in ins, 1, size);
        ulong flags = _regs.Rflags;
        ulong sum = AddFlags(dest, src, 0, size, ref flags);
        if (ins.Op0Kind == OpKind.Memory)
        {
            WriteOp(in ins, 0, sum, size);
            WriteReg(ins.Op1Register, dest);
        }
        else
        {
            // Source first, so "xadd rax, rax" leaves the sum (the destination is written last).
            WriteReg(ins.Op1Register, dest);
            WriteReg(ins.Op0Register, sum);
        }
        _regs.Rflags = flags;
    }

    private void Cmpxchg(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        Register accumulator = size switch { 1 => Register.AL, 2 => Register.AX, 4 => Register.EAX, _ => Register.RAX };
        ulong dest = ReadOp(in ins, 0, size);
        ulong acc = ReadReg(accumulator);
        ulong flags = _regs.Rflags;
        SubFlags(acc, dest, 0, size, ref flags);
        if (acc == dest)
            WriteOp(in ins, 0, ReadOp(in ins, 1, size), size);
        else
        {
            // The processor always writes a memory destination (with its old value when the compare fails).
            if (ins.Op0Kind == OpKind.Memory)
                WriteOp(in ins, 0, dest, size);
            WriteReg(accumulator, dest);
        }
        _regs.Rflags = flags;
    }

    // ---- flag arithmetic ----

    /// <summary>ZF, SF and PF of a result (bits of RFLAGS).</summary>
    private static ulong ZeroSignParity(ulong result, int size)
    {
        ulong flags = 0;
        if (result == 0)
            flags |= X86Flags.ZF;
        flags |= (result >> (size * 8 - 8)) & 0x80; // SF is bit 7, like the sign bit of the top byte
        // PF: even number of 1 bits in the low byte.
        flags |= (ulong)(~BitOperations.PopCount(result & 0xff) & 1) << 2;
        return flags;
    }

    /// <summary>a + b + carryIn at the given size; sets CF, PF, AF, ZF, SF, OF.</summary>
    private static ulong AddFlags(ulong a, ulong b, ulong carryIn, int size, ref ulong flags)
    {
        int top = size * 8 - 1;
        ulong r = (a + b + carryIn) & SizeMask[size];
        ulong carries = (a & b) | ((a | b) & ~r);   // carry out of each bit position
        ulong f = ZeroSignParity(r, size);
        f |= (carries >> top) & 1;                                  // CF: carry out of the top bit
        f |= ((a ^ b ^ r) & 0x10);                                  // AF: carry out of bit 3 (bit 4 of RFLAGS)
        f |= (((a ^ r) & (b ^ r)) >> top & 1) << 11;                // OF: both inputs differ in sign from the result
        flags = (flags & ~StatusFlags) | f;
        return r;
    }

    /// <summary>a - b - borrowIn at the given size; sets CF, PF, AF, ZF, SF, OF.</summary>
    private static ulong SubFlags(ulong a, ulong b, ulong borrowIn, int size, ref ulong flags)
    {
        int top = size * 8 - 1;
        ulong r = (a - b - borrowIn) & SizeMask[size];
        ulong borrows = (~a & b) | ((~a | b) & r);   // borrow out of each bit position
        ulong f = ZeroSignParity(r, size);
        f |= (borrows >> top) & 1;                                  // CF: borrow out of the top bit
        f |= ((a ^ b ^ r) & 0x10);                                  // AF: borrow out of bit 3
        f |= (((a ^ b) & (a ^ r)) >> top & 1) << 11;                // OF: inputs differ in sign and the result has b's sign
        flags = (flags & ~StatusFlags) | f;
        return r;
    }

    /// <summary>Flags of and/or/xor/test: CF = OF = 0, SF/ZF/PF from the result, AF (undefined) = 0.</summary>
    private static ulong LogicFlags(ulong r, int size, ref ulong flags)
    {
        flags = (flags & ~StatusFlags) | ZeroSignParity(r, size);
        return r;
    }
}
