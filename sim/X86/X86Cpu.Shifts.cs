using Iced.Intel;

namespace MicroKernel.X86;

// Shifts and rotates. The count is masked to 5 bits (6 for 64-bit operands); a masked count of 0 changes
// nothing, not even the flags. Where the SDM leaves a flag undefined we follow one fixed rule, the one Bochs
// uses (Bochs is checked against Intel processors; AMD ones differ in places): OF follows its 1-bit formula for
// every count, AF is cleared by shifts with a nonzero count, and CF keeps its "last bit shifted out" meaning
// (0 once an 8/16-bit SHL/SHR count passes the width). X86FlagTableTests lists which flags are undefined per case.
public sealed partial class X86Cpu
{
    private void ShiftOrRotate(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong value = ReadOp(in ins, 0, size);
        int count = (int)ReadOp(in ins, 1, 1) & (size == 8 ? 63 : 31);
        if (count == 0)
        {
            // Flags unchanged; but a 32-bit register destination is still written, which zero-extends it.
            if (size == 4 && ins.Op0Kind == OpKind.Register)
                WriteReg(ins.Op0Register, value);
            return;
        }
        ulong flags = _regs.Rflags;
        ulong result = ins.Mnemonic switch
        {
            Mnemonic.Shl or Mnemonic.Sal => ShiftLeft(value, count, size, ref flags),
            Mnemonic.Shr => ShiftRight(value, count, size, ref flags),
            Mnemonic.Sar => ShiftArithmeticRight(value, count, size, ref flags),
            Mnemonic.Rol => RotateLeft(value, count, size, ref flags),
            Mnemonic.Ror => RotateRight(value, count, size, ref flags),
            Mnemonic.Rcl => RotateCarryLeft(value, count, size, ref flags),
            _ => RotateCarryRight(value, count, size, ref flags),
        };
        WriteOp(in ins, 0, result, size);
        _regs.Rflags = flags;
    }

    private static ulong SetFlag(ulong flags, ulong flag, bool on) => on ? flags | flag : flags & ~flag;

    private static bool Msb(ulong value, int size) => ((value >> (size * 8 - 1)) & 1) != 0;

    /// <summary>SHL/SAL. CF = last bit shifted out (0 once the count passes the width); OF = MSB(result) xor CF.</summary>
    internal static ulong ShiftLeft(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        ulong r = (v << count) & SizeMask[size];                    // count <= 63, so the C# shift is exact
        bool cf = count <= bits && ((v >> (bits - count)) & 1) != 0;
        flags = (flags & ~StatusFlags) | ZeroSignParity(r, size);
        flags = SetFlag(flags, X86Flags.CF, cf);
        flags = SetFlag(flags, X86Flags.OF, Msb(r, size) ^ cf);
        return r;
    }

    /// <summary>SHR. CF = last bit shifted out; OF = MSB(result) xor next bit (for count 1: the original MSB).</summary>
    internal static ulong ShiftRight(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        ulong r = v >> count;
        bool cf = count <= bits && ((v >> (count - 1)) & 1) != 0;
        flags = (flags & ~StatusFlags) | ZeroSignParity(r, size);
        flags = SetFlag(flags, X86Flags.CF, cf);
        flags = SetFlag(flags, X86Flags.OF, Msb(r, size) ^ Msb(r << 1, size));
        return r;
    }

    /// <summary>SAR. CF = last bit shifted out (the sign once the count passes the width); OF = 0.</summary>
    internal static ulong ShiftArithmeticRight(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        long signed = (long)SignExtend(v, size);
        ulong r = (ulong)(signed >> Math.Min(count, 63)) & SizeMask[size];
        bool cf = ((signed >> (Math.Min(count, bits) - 1)) & 1) != 0;
        flags = (flags & ~StatusFlags) | ZeroSignParity(r, size);
        flags = SetFlag(flags, X86Flags.CF, cf);
        return r;
    }

    /// <summary>ROL. Only CF (= LSB of the result) and OF (= MSB xor CF) change, even when count % width == 0.</summary>
    internal static ulong RotateLeft(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        int n = count % bits;
        ulong r = n == 0 ? v : ((v << n) | (v >> (bits - n))) & SizeMask[size];
        bool cf = (r & 1) != 0;
        flags = SetFlag(flags, X86Flags.CF, cf);
        flags = SetFlag(flags, X86Flags.OF, Msb(r, size) ^ cf);
        return r;
    }

    /// <summary>ROR. CF = MSB of the result; OF = xor of the two top bits of the result.</summary>
    internal static ulong RotateRight(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        int n = count % bits;
        ulong r = n == 0 ? v : ((v >> n) | (v << (bits - n))) & SizeMask[size];
        flags = SetFlag(flags, X86Flags.CF, Msb(r, size));
        flags = SetFlag(flags, X86Flags.OF, Msb(r, size) ^ Msb(r << 1, size));
        return r;
    }

    /// <summary>
    /// RCL: rotates the (width+1)-bit value CF:v. 8- and 16-bit counts are taken modulo 9 and 17; when that
    /// leaves 0 nothing changes. OF = MSB(result) xor CF.
    /// </summary>
    internal static ulong RotateCarryLeft(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        int n = size switch { 1 => count % 9, 2 => count % 17, _ => count };
        if (n == 0)
            return v;
        UInt128 wideMask = ((UInt128)1 << (bits + 1)) - 1;
        UInt128 x = ((UInt128)(flags & X86Flags.CF) << bits) | v;
        x = ((x << n) | (x >> (bits + 1 - n))) & wideMask;
        ulong r = (ulong)x & SizeMask[size];
        bool cf = ((x >> bits) & 1) != 0;
        flags = SetFlag(flags, X86Flags.CF, cf);
        flags = SetFlag(flags, X86Flags.OF, Msb(r, size) ^ cf);
        return r;
    }

    /// <summary>RCR: as RCL, the other way. OF = xor of the two top bits of the result (for count 1: old MSB xor old CF).</summary>
    internal static ulong RotateCarryRight(ulong v, int count, int size, ref ulong flags)
    {
        int bits = size * 8;
        int n = size switch { 1 => count % 9, 2 => count % 17, _ => count };
        if (n == 0)
            return v;
        UInt128 wideMask = ((UInt128)1 << (bits + 1)) - 1;
        UInt128 x = ((UInt128)(flags & X86Flags.CF) << bits) | v;
        x = ((x >> n) | (x << (bits + 1 - n))) & wideMask;
        ulong r = (ulong)x & SizeMask[size];
        flags = SetFlag(flags, X86Flags.CF, ((x >> bits) & 1) != 0);
        flags = SetFlag(flags, X86Flags.OF, Msb(r, size) ^ Msb(r << 1, size));
        return r;
    }

    /// <summary>
    /// SHLD/SHRD dest, src, count. CF = last bit shifted out of dest, OF as for SHL/SHR, SF/ZF/PF from the result,
    /// AF = 0. For 16-bit operands with a count above 16 (undefined) the bits keep coming from the pattern dest:src:dest.
    /// </summary>
    private void DoubleShift(in Instruction ins)
    {
        int size = OpSize(in ins, 0);
        ulong dest = ReadOp(in ins, 0, size);
        ulong src = ReadReg(ins.Op1Register);
        int count = (int)ReadOp(in ins, 2, 1) & (size == 8 ? 63 : 31);
        if (count == 0)
        {
            if (size == 4 && ins.Op0Kind == OpKind.Register)
                WriteReg(ins.Op0Register, dest);
            return;
        }
        bool left = ins.Mnemonic == Mnemonic.Shld;
        int bits = size * 8;
        ulong r;
        bool cf;
        if (size == 2)
        {
            if (left)
            {
                ulong pattern = (dest << 32) | (src << 16) | dest; // shifted left, the window is bits 32..47
                r = (pattern << count) >> 32 & 0xffff;
                cf = ((pattern >> (48 - count)) & 1) != 0;
            }
            else
            {
                ulong pattern = (dest << 32) | (src << 16) | dest; // shifted right, the window is bits 0..15
                r = (pattern >> count) & 0xffff;
                cf = ((pattern >> (count - 1)) & 1) != 0;
            }
        }
        else if (left)
        {
            r = ((dest << count) | (src >> (bits - count))) & SizeMask[size];
            cf = ((dest >> (bits - count)) & 1) != 0;
        }
        else
        {
            r = ((dest >> count) | (src << (bits - count))) & SizeMask[size];
            cf = ((dest >> (count - 1)) & 1) != 0;
        }
        ulong flags = (_regs.Rflags & ~StatusFlags) | ZeroSignParity(r, size);
        flags = SetFlag(flags, X86Flags.CF, cf);
        flags = SetFlag(flags, X86Flags.OF, left ? Msb(r, size) ^ cf : Msb(r, size) ^ Msb(r << 1, size));
        WriteOp(in ins, 0, r, size);
        _regs.Rflags = flags;
    }
}
