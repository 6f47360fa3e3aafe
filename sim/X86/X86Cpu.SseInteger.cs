using System.Runtime.CompilerServices;
using Iced.Intel;

namespace MicroKernel.X86;

// SSE2 packed integers (and the bitwise ps/pd forms): lane-wise arithmetic with wrap-around or saturation,
// compares into all-ones masks, logic, shifts, shuffles, unpacks and packs. No flags, no exceptions.
public sealed partial class X86Cpu
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private bool ExecuteSseInteger(in Instruction ins)
    {
        switch (ins.Mnemonic)
        {
            case Mnemonic.Psllw:
            case Mnemonic.Pslld:
            case Mnemonic.Psllq:
            case Mnemonic.Psrlw:
            case Mnemonic.Psrld:
            case Mnemonic.Psrlq:
            case Mnemonic.Psraw:
            case Mnemonic.Psrad:
            case Mnemonic.Pslldq:
            case Mnemonic.Psrldq:
            {
                ulong count = ins.Op1Kind == OpKind.Immediate8 ? ins.Immediate8 : (ulong)ReadXmmOp(in ins, 1);
                ref UInt128 dst = ref Xmm(ins.Op0Register);
                dst = Shift(ins.Mnemonic, dst, count);
                return true;
            }
            case Mnemonic.Pshufd:
            case Mnemonic.Pshuflw:
            case Mnemonic.Pshufhw:
            {
                UInt128 src = ReadXmmOp(in ins, 1);
                Xmm(ins.Op0Register) = Shuffle(ins.Mnemonic, src, ins.Immediate8);
                return true;
            }
            case Mnemonic.Shufps:
            case Mnemonic.Shufpd:
            {
                UInt128 src = ReadXmmOp(in ins, 1);
                ref UInt128 dst = ref Xmm(ins.Op0Register);
                dst = ins.Mnemonic == Mnemonic.Shufps ? ShuffleSingles(dst, src, ins.Immediate8) : ShuffleDoubles(dst, src, ins.Immediate8);
                return true;
            }
        }
        if (!IsPackedBinary(ins.Mnemonic))
            return false;
        {
            UInt128 src = ReadXmmOp(in ins, 1);
            ref UInt128 dst = ref Xmm(ins.Op0Register);
            dst = PackedBinary(ins.Mnemonic, dst, src);
            return true;
        }
    }

    private static bool IsPackedBinary(Mnemonic m) => m switch
    {
        Mnemonic.Paddb or Mnemonic.Paddw or Mnemonic.Paddd or Mnemonic.Paddq or Mnemonic.Psubb or Mnemonic.Psubw
            or Mnemonic.Psubd or Mnemonic.Psubq or Mnemonic.Paddsb or Mnemonic.Paddsw or Mnemonic.Paddusb
            or Mnemonic.Paddusw or Mnemonic.Psubsb or Mnemonic.Psubsw or Mnemonic.Psubusb or Mnemonic.Psubusw
            or Mnemonic.Pmullw or Mnemonic.Pmulhw or Mnemonic.Pmulhuw or Mnemonic.Pmuludq or Mnemonic.Pmaddwd
            or Mnemonic.Pavgb or Mnemonic.Pavgw or Mnemonic.Pminub or Mnemonic.Pmaxub or Mnemonic.Pminsw
            or Mnemonic.Pmaxsw or Mnemonic.Psadbw or Mnemonic.Pcmpeqb or Mnemonic.Pcmpeqw or Mnemonic.Pcmpeqd
            or Mnemonic.Pcmpgtb or Mnemonic.Pcmpgtw or Mnemonic.Pcmpgtd or Mnemonic.Pand or Mnemonic.Andps
            or Mnemonic.Andpd or Mnemonic.Pandn or Mnemonic.Andnps or Mnemonic.Andnpd or Mnemonic.Por
            or Mnemonic.Orps or Mnemonic.Orpd or Mnemonic.Pxor or Mnemonic.Xorps or Mnemonic.Xorpd
            or Mnemonic.Punpcklbw or Mnemonic.Punpcklwd or Mnemonic.Punpckldq or Mnemonic.Punpcklqdq
            or Mnemonic.Punpckhbw or Mnemonic.Punpckhwd or Mnemonic.Punpckhdq or Mnemonic.Punpckhqdq
            or Mnemonic.Unpcklps or Mnemonic.Unpckhps or Mnemonic.Unpcklpd or Mnemonic.Unpckhpd
            or Mnemonic.Packsswb or Mnemonic.Packssdw or Mnemonic.Packuswb => true,
        _ => false,
    };

    /// <summary>The two-operand packed instructions: dst = dst OP src, lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private static UInt128 PackedBinary(Mnemonic m, UInt128 a, UInt128 b) => m switch
    {
        Mnemonic.Paddb => Map<byte>(a, b, static (x, y) => (byte)(x + y)),
        Mnemonic.Paddw => Map<ushort>(a, b, static (x, y) => (ushort)(x + y)),
        Mnemonic.Paddd => Map<uint>(a, b, static (x, y) => x + y),
        Mnemonic.Paddq => Map<ulong>(a, b, static (x, y) => x + y),
        Mnemonic.Psubb => Map<byte>(a, b, static (x, y) => (byte)(x - y)),
        Mnemonic.Psubw => Map<ushort>(a, b, static (x, y) => (ushort)(x - y)),
        Mnemonic.Psubd => Map<uint>(a, b, static (x, y) => x - y),
        Mnemonic.Psubq => Map<ulong>(a, b, static (x, y) => x - y),
        Mnemonic.Paddsb => Map<sbyte>(a, b, static (x, y) => (sbyte)Math.Clamp(x + y, sbyte.MinValue, sbyte.MaxValue)),
        Mnemonic.Paddsw => Map<short>(a, b, static (x, y) => (short)Math.Clamp(x + y, short.MinValue, short.MaxValue)),
        Mnemonic.Paddusb => Map<byte>(a, b, static (x, y) => (byte)Math.Min(x + y, byte.MaxValue)),
        Mnemonic.Paddusw => Map<ushort>(a, b, static (x, y) => (ushort)Math.Min(x + y, ushort.MaxValue)),
        Mnemonic.Psubsb => Map<sbyte>(a, b, static (x, y) => (sbyte)Math.Clamp(x - y, sbyte.MinValue, sbyte.MaxValue)),
        Mnemonic.Psubsw => Map<short>(a, b, static (x, y) => (short)Math.Clamp(x - y, short.MinValue, short.MaxValue)),
        Mnemonic.Psubusb => Map<byte>(a, b, static (x, y) => (byte)Math.Max(x - y, 0)),
        Mnemonic.Psubusw => Map<ushort>(a, b, static (x, y) => (ushort)Math.Max(x - y, 0)),
        Mnemonic.Pmullw => Map<short>(a, b, static (x, y) => (short)(x * y)),
        Mnemonic.Pmulhw => Map<short>(a, b, static (x, y) => (short)((x * y) >> 16)),
        Mnemonic.Pmulhuw => Map<ushort>(a, b, static (x, y) => (ushort)((x * y) >> 16)),
        Mnemonic.Pmuludq => Map<ulong>(a, b, static (x, y) => (x & 0xffff_ffff) * (y & 0xffff_ffff)),
        Mnemonic.Pmaddwd => MultiplyAdd(a, b),
        Mnemonic.Pavgb => Map<byte>(a, b, static (x, y) => (byte)((x + y + 1) >> 1)),
        Mnemonic.Pavgw => Map<ushort>(a, b, static (x, y) => (ushort)((x + y + 1) >> 1)),
        Mnemonic.Pminub => Map<byte>(a, b, static (x, y) => Math.Min(x, y)),
        Mnemonic.Pmaxub => Map<byte>(a, b, static (x, y) => Math.Max(x, y)),
        Mnemonic.Pminsw => Map<short>(a, b, static (x, y) => Math.Min(x, y)),
        Mnemonic.Pmaxsw => Map<short>(a, b, static (x, y) => Math.Max(x, y)),
        Mnemonic.Psadbw => SumOfAbsoluteDifferences(a, b),
        Mnemonic.Pcmpeqb => Map<byte>(a, b, static (x, y) => x == y ? byte.MaxValue : (byte)0),
        Mnemonic.Pcmpeqw => Map<ushort>(a, b, static (x, y) => x == y ? ushort.MaxValue : (ushort)0),
        Mnemonic.Pcmpeqd => Map<uint>(a, b, static (x, y) => x == y ? uint.MaxValue : 0),
        Mnemonic.Pcmpgtb => Map<sbyte>(a, b, static (x, y) => x > y ? (sbyte)-1 : (sbyte)0),
        Mnemonic.Pcmpgtw => Map<short>(a, b, static (x, y) => x > y ? (short)-1 : (short)0),
        Mnemonic.Pcmpgtd => Map<int>(a, b, static (x, y) => x > y ? -1 : 0),
        Mnemonic.Pand or Mnemonic.Andps or Mnemonic.Andpd => a & b,
        Mnemonic.Pandn or Mnemonic.Andnps or Mnemonic.Andnpd => ~a & b,
        Mnemonic.Por or Mnemonic.Orps or Mnemonic.Orpd => a | b,
        Mnemonic.Pxor or Mnemonic.Xorps or Mnemonic.Xorpd => a ^ b,
        Mnemonic.Punpcklbw => Interleave<byte>(a, b, high: false),
        Mnemonic.Punpcklwd => Interleave<ushort>(a, b, high: false),
        Mnemonic.Punpckldq or Mnemonic.Unpcklps => Interleave<uint>(a, b, high: false),
        Mnemonic.Punpcklqdq or Mnemonic.Unpcklpd => Interleave<ulong>(a, b, high: false),
        Mnemonic.Punpckhbw => Interleave<byte>(a, b, high: true),
        Mnemonic.Punpckhwd => Interleave<ushort>(a, b, high: true),
        Mnemonic.Punpckhdq or Mnemonic.Unpckhps => Interleave<uint>(a, b, high: true),
        Mnemonic.Punpckhqdq or Mnemonic.Unpckhpd => Interleave<ulong>(a, b, high: true),
        Mnemonic.Packsswb => Pack<short, sbyte>(a, b, static x => (sbyte)Math.Clamp(x, sbyte.MinValue, sbyte.MaxValue)),
        Mnemonic.Packssdw => Pack<int, short>(a, b, static x => (short)Math.Clamp(x, short.MinValue, short.MaxValue)),
        _ => Pack<short, byte>(a, b, static x => (byte)Math.Clamp(x, byte.MinValue, byte.MaxValue)), // packuswb
    };

    /// <summary>Applies op to each pair of lanes of type T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private static UInt128 Map<T>(UInt128 a, UInt128 b, Func<T, T, T> op) where T : struct
    {
        UInt128 r = 0;
        Span<T> x = Lanes<T>(ref a), y = Lanes<T>(ref b), z = Lanes<T>(ref r);
        for (int i = 0; i < z.Length; i++)
            z[i] = op(x[i], y[i]);
        return r;
    }

    /// <summary>punpckl*/punpckh*: the low (or high) halves' lanes of a and b, alternating, a first.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private static UInt128 Interleave<T>(UInt128 a, UInt128 b, bool high) where T : struct
    {
        UInt128 r = 0;
        Span<T> x = Lanes<T>(ref a), y = Lanes<T>(ref b), z = Lanes<T>(ref r);
        int half = z.Length / 2, from = high ? half : 0;
        for (int i = 0; i < half; i++)
        {
            z[2 * i] = x[from + i];
            z[2 * i + 1] = y[from + i];
        }
        return r;
    }

    /// <summary>packsswb/packssdw/packuswb: a's lanes then b's, each narrowed to half its width with saturation.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private static UInt128 Pack<TWide, TNarrow>(UInt128 a, UInt128 b, Func<TWide, TNarrow> narrow)
        where TWide : struct where TNarrow : struct
    {
        UInt128 r = 0;
        Span<TWide> x = Lanes<TWide>(ref a), y = Lanes<TWide>(ref b);
        Span<TNarrow> z = Lanes<TNarrow>(ref r);
        for (int i = 0; i < x.Length; i++)
        {
            z[i] = narrow(x[i]);
            z[x.Length + i] = narrow(y[i]);
        }
        return r;
    }

    /// <summary>pmaddwd: each dword = the sum of two signed word products (0x8000 * 0x8000 * 2 wraps to 0x80000000).</summary>
    private static UInt128 MultiplyAdd(UInt128 a, UInt128 b)
    {
        UInt128 r = 0;
        Span<short> x = Lanes<short>(ref a), y = Lanes<short>(ref b);
        Span<uint> z = Lanes<uint>(ref r);
        for (int i = 0; i < 4; i++)
            z[i] = (uint)(x[2 * i] * y[2 * i]) + (uint)(x[2 * i + 1] * y[2 * i + 1]);
        return r;
    }

    /// <summary>psadbw: per 64-bit half, the sum of the 8 absolute byte differences, in the low word.</summary>
    private static UInt128 SumOfAbsoluteDifferences(UInt128 a, UInt128 b)
    {
        UInt128 r = 0;
        Span<byte> x = Lanes<byte>(ref a), y = Lanes<byte>(ref b);
        Span<ulong> z = Lanes<ulong>(ref r);
        for (int i = 0; i < 16; i++)
            z[i / 8] += (ulong)Math.Abs(x[i] - y[i]);
        return r;
    }

    /// <summary>Shifts each lane by count (logical shifts past the width give 0, arithmetic ones the sign), or the whole register by bytes.</summary>
    private static UInt128 Shift(Mnemonic m, UInt128 v, ulong count)
    {
        int n = (int)Math.Min(count, 64);
        return m switch
        {
            Mnemonic.Psllw => Map1<ushort>(v, x => n > 15 ? (ushort)0 : (ushort)(x << n)),
            Mnemonic.Pslld => Map1<uint>(v, x => n > 31 ? 0 : x << n),
            Mnemonic.Psllq => Map1<ulong>(v, x => n > 63 ? 0 : x << n),
            Mnemonic.Psrlw => Map1<ushort>(v, x => n > 15 ? (ushort)0 : (ushort)(x >> n)),
            Mnemonic.Psrld => Map1<uint>(v, x => n > 31 ? 0 : x >> n),
            Mnemonic.Psrlq => Map1<ulong>(v, x => n > 63 ? 0 : x >> n),
            Mnemonic.Psraw => Map1<short>(v, x => (short)(x >> Math.Min(n, 15))),
            Mnemonic.Psrad => Map1<int>(v, x => x >> Math.Min(n, 31)),
            Mnemonic.Pslldq => count > 15 ? 0 : v << (8 * (int)count),
            _ => count > 15 ? 0 : v >> (8 * (int)count), // psrldq
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private static UInt128 Map1<T>(UInt128 a, Func<T, T> op) where T : struct
    {
        Span<T> x = Lanes<T>(ref a);
        for (int i = 0; i < x.Length; i++)
            x[i] = op(x[i]);
        return a;
    }

    /// <summary>pshufd (dwords), pshuflw (low four words; high half copied), pshufhw (high four words; low half copied).</summary>
    private static UInt128 Shuffle(Mnemonic m, UInt128 src, int imm)
    {
        UInt128 r = src;
        if (m == Mnemonic.Pshufd)
        {
            Span<uint> x = Lanes<uint>(ref src), z = Lanes<uint>(ref r);
            for (int i = 0; i < 4; i++)
                z[i] = x[(imm >> (2 * i)) & 3];
            return r;
        }
        int first = m == Mnemonic.Pshuflw ? 0 : 4;
        Span<ushort> w = Lanes<ushort>(ref src), o = Lanes<ushort>(ref r);
        for (int i = 0; i < 4; i++)
            o[first + i] = w[first + ((imm >> (2 * i)) & 3)];
        return r;
    }

    /// <summary>shufps: the two low lanes picked from the destination, the two high ones from the source.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private static UInt128 ShuffleSingles(UInt128 dst, UInt128 src, int imm)
    {
        UInt128 r = 0;
        Span<uint> d = Lanes<uint>(ref dst), s = Lanes<uint>(ref src), z = Lanes<uint>(ref r);
        z[0] = d[imm & 3];
        z[1] = d[(imm >> 2) & 3];
        z[2] = s[(imm >> 4) & 3];
        z[3] = s[(imm >> 6) & 3];
        return r;
    }

    /// <summary>shufpd: the low lane picked from the destination (imm bit 0), the high one from the source (bit 1).</summary>
    private static UInt128 ShuffleDoubles(UInt128 dst, UInt128 src, int imm)
    {
        ulong low = (imm & 1) == 0 ? (ulong)dst : (ulong)(dst >> 64);
        ulong high = (imm & 2) == 0 ? (ulong)src : (ulong)(src >> 64);
        return ((UInt128)high << 64) | low;
    }
}
