using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

// Multiplication and division. mul/imul set CF = OF = "the result did not fit in the low half"; the SDM leaves
// SF, ZF, AF and PF undefined: we set SF, ZF and PF from the low half and clear AF (as Bochs does).
// div/idiv leave every flag undefined: we leave them unchanged. Division by zero and quotients that do not fit
// raise #DE (FaultReason.DivideError) before any register is written.
public sealed partial class X86Cpu
{
    private static readonly Register[] LowHalf = [Register.None, Register.AL, Register.AX, Register.None, Register.EAX, 0, 0, 0, Register.RAX];
    private static readonly Register[] HighHalf = [Register.None, Register.AH, Register.DX, Register.None, Register.EDX, 0, 0, 0, Register.RDX];

    private void SetMulFlags(ulong low, int size, bool overflow)
    {
        ulong flags = (_regs.Rflags & ~StatusFlags) | ZeroSignParity(low, size);
        if (overflow)
            flags |= X86Flags.CF | X86Flags.OF;
        _regs.Rflags = flags;
    }

    /// <summary>MUL r/m: unsigned rDX:rAX = rAX * src (AX = AL * src for bytes).</summary>
    private void Mul(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong src = ReadOp(in ins, 0, size);
        ulong a = ReadReg(LowHalf[size]);
        ulong high, low;
        if (size == 8)
            high = Math.BigMul(a, src, out low);
        else
        {
            ulong product = a * src; // fits: at most 64 bits for 32-bit operands
            low = product & SizeMask[size];
            high = product >> (size * 8);
        }
        WriteHalves(size, low, high);
        SetMulFlags(low, size, high != 0);
    }

    /// <summary>IMUL in its three forms: one operand (rDX:rAX), two operands (dest *= src), three (dest = src * imm).</summary>
    private void Imul(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        if (ins.OpCount == 1)
        {
            long src = (long)SignExtend(ReadOp(in ins, 0, size), size);
            long a = (long)SignExtend(ReadReg(LowHalf[size]), size);
            Int128 product = (Int128)a * src;
            ulong low = (ulong)product & SizeMask[size];
            ulong high = (ulong)(product >> (size * 8)) & SizeMask[size];
            WriteHalves(size, low, high);
            SetMulFlags(low, size, product != (long)SignExtend(low, size));
            return;
        }
        long x = (long)SignExtend(ReadOp(in ins, ins.OpCount == 2 ? 0 : 1, size), size);
        long y = (long)SignExtend(ReadOp(in ins, ins.OpCount == 2 ? 1 : 2, size), size);
        Int128 full = (Int128)x * y;
        ulong result = (ulong)full & SizeMask[size];
        WriteReg(ins.Op0Register, result);
        SetMulFlags(result, size, full != (long)SignExtend(result, size));
    }

    private void WriteHalves(int size, ulong low, ulong high)
    {
        if (size == 1)
            WriteReg(Register.AX, (high << 8) | low); // bytes: the product goes to AX, not DL:AL
        else
        {
            WriteReg(LowHalf[size], low);
            WriteReg(HighHalf[size], high);
        }
    }

    private ulong ReadDividend(int size, out ulong highPart)
    {
        if (size == 1)
        {
            ulong ax = ReadReg(Register.AX);
            highPart = ax >> 8;
            return ax & 0xff;
        }
        highPart = ReadReg(HighHalf[size]);
        return ReadReg(LowHalf[size]);
    }

    private static X86FaultException DivideError(string why) =>
        new(FaultReason.DivideError, null, $"divide error: {why}");

    /// <summary>DIV r/m: unsigned rDX:rAX / src, quotient to rAX, remainder to rDX (AL and AH for bytes).</summary>
    private void Div(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong divisor = ReadOp(in ins, 0, size);
        if (divisor == 0)
            throw DivideError("division by zero");
        ulong low = ReadDividend(size, out ulong high);
        UInt128 dividend = ((UInt128)high << (size * 8)) | low;
        UInt128 quotient = dividend / divisor;
        if (quotient > SizeMask[size])
            throw DivideError("quotient too large");
        ulong remainder = (ulong)(dividend % divisor);
        WriteQuotient(size, (ulong)quotient, remainder);
    }

    /// <summary>IDIV r/m: signed division, quotient truncated toward zero, remainder with the dividend's sign.</summary>
    private void Idiv(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        long divisor = (long)SignExtend(ReadOp(in ins, 0, size), size);
        if (divisor == 0)
            throw DivideError("division by zero");
        ulong low = ReadDividend(size, out ulong high);
        int bits = size * 8;
        // The dividend is twice the operand size: sign-extend that double-width value to 128 bits.
        UInt128 raw = ((UInt128)high << bits) | low;
        Int128 dividend = (Int128)(raw << (128 - 2 * bits)) >> (128 - 2 * bits);
        if (divisor == -1 && dividend == Int128.MinValue)
            throw DivideError("quotient too large");
        Int128 quotient = dividend / divisor;
        Int128 min = -((Int128)1 << (bits - 1)), max = ((Int128)1 << (bits - 1)) - 1;
        if (quotient < min || quotient > max)
            throw DivideError("quotient too large");
        Int128 remainder = dividend % divisor;
        WriteQuotient(size, (ulong)quotient & SizeMask[size], (ulong)remainder & SizeMask[size]);
    }

    private void WriteQuotient(int size, ulong quotient, ulong remainder)
    {
        if (size == 1)
            WriteReg(Register.AX, (remainder << 8) | quotient);
        else
        {
            WriteReg(LowHalf[size], quotient);
            WriteReg(HighHalf[size], remainder);
        }
    }
}
