using Iced.Intel;
using static MicroKernel.X86.X86SoftFloat;

namespace MicroKernel.X86;

// SSE/SSE2 floating point: scalar (ss, sd) and packed (ps, pd) arithmetic, compares and conversions. The lanes
// are computed by X86SoftFloat (exact, then rounded by MXCSR); the flags of all lanes go into MXCSR, and an
// unmasked exception faults (#XM) before the destination is written. Scalar forms keep the destination's upper
// lanes, as hardware does.
public sealed partial class X86Cpu
{
    private enum FloatOp { Add, Sub, Mul, Div, Min, Max, Sqrt }

    private bool ExecuteSseFloat(in Instruction ins)
    {
        FloatFormat s = FloatFormat.Single, d = FloatFormat.Double;
        switch (ins.Mnemonic)
        {
            case Mnemonic.Addss: FloatArithmetic(in ins, FloatOp.Add, s, 1); break;
            case Mnemonic.Addsd: FloatArithmetic(in ins, FloatOp.Add, d, 1); break;
            case Mnemonic.Addps: FloatArithmetic(in ins, FloatOp.Add, s, 4); break;
            case Mnemonic.Addpd: FloatArithmetic(in ins, FloatOp.Add, d, 2); break;
            case Mnemonic.Subss: FloatArithmetic(in ins, FloatOp.Sub, s, 1); break;
            case Mnemonic.Subsd: FloatArithmetic(in ins, FloatOp.Sub, d, 1); break;
            case Mnemonic.Subps: FloatArithmetic(in ins, FloatOp.Sub, s, 4); break;
            case Mnemonic.Subpd: FloatArithmetic(in ins, FloatOp.Sub, d, 2); break;
            case Mnemonic.Mulss: FloatArithmetic(in ins, FloatOp.Mul, s, 1); break;
            case Mnemonic.Mulsd: FloatArithmetic(in ins, FloatOp.Mul, d, 1); break;
            case Mnemonic.Mulps: FloatArithmetic(in ins, FloatOp.Mul, s, 4); break;
            case Mnemonic.Mulpd: FloatArithmetic(in ins, FloatOp.Mul, d, 2); break;
            case Mnemonic.Divss: FloatArithmetic(in ins, FloatOp.Div, s, 1); break;
            case Mnemonic.Divsd: FloatArithmetic(in ins, FloatOp.Div, d, 1); break;
            case Mnemonic.Divps: FloatArithmetic(in ins, FloatOp.Div, s, 4); break;
            case Mnemonic.Divpd: FloatArithmetic(in ins, FloatOp.Div, d, 2); break;
            case Mnemonic.Minss: FloatArithmetic(in ins, FloatOp.Min, s, 1); break;
            case Mnemonic.Minsd: FloatArithmetic(in ins, FloatOp.Min, d, 1); break;
            case Mnemonic.Minps: FloatArithmetic(in ins, FloatOp.Min, s, 4); break;
            case Mnemonic.Minpd: FloatArithmetic(in ins, FloatOp.Min, d, 2); break;
            case Mnemonic.Maxss: FloatArithmetic(in ins, FloatOp.Max, s, 1); break;
            case Mnemonic.Maxsd: FloatArithmetic(in ins, FloatOp.Max, d, 1); break;
            case Mnemonic.Maxps: FloatArithmetic(in ins, FloatOp.Max, s, 4); break;
            case Mnemonic.Maxpd: FloatArithmetic(in ins, FloatOp.Max, d, 2); break;
            case Mnemonic.Sqrtss: FloatArithmetic(in ins, FloatOp.Sqrt, s, 1); break;
            case Mnemonic.Sqrtsd: FloatArithmetic(in ins, FloatOp.Sqrt, d, 1); break;
            case Mnemonic.Sqrtps: FloatArithmetic(in ins, FloatOp.Sqrt, s, 4); break;
            case Mnemonic.Sqrtpd: FloatArithmetic(in ins, FloatOp.Sqrt, d, 2); break;

            case Mnemonic.Cmpss: FloatCompare(in ins, s, 1); break;
            case Mnemonic.Cmpsd: FloatCompare(in ins, d, 1); break;
            case Mnemonic.Cmpps: FloatCompare(in ins, s, 4); break;
            case Mnemonic.Cmppd: FloatCompare(in ins, d, 2); break;
            case Mnemonic.Ucomiss: CompareToFlags(in ins, s, signalOnQuietNaN: false); break;
            case Mnemonic.Ucomisd: CompareToFlags(in ins, d, signalOnQuietNaN: false); break;
            case Mnemonic.Comiss: CompareToFlags(in ins, s, signalOnQuietNaN: true); break;
            case Mnemonic.Comisd: CompareToFlags(in ins, d, signalOnQuietNaN: true); break;

            case Mnemonic.Cvtsi2ss: IntegerToScalar(in ins, s); break;
            case Mnemonic.Cvtsi2sd: IntegerToScalar(in ins, d); break;
            case Mnemonic.Cvtss2si: ScalarToInteger(in ins, s, truncate: false); break;
            case Mnemonic.Cvttss2si: ScalarToInteger(in ins, s, truncate: true); break;
            case Mnemonic.Cvtsd2si: ScalarToInteger(in ins, d, truncate: false); break;
            case Mnemonic.Cvttsd2si: ScalarToInteger(in ins, d, truncate: true); break;
            case Mnemonic.Cvtss2sd: ConvertLanes(in ins, s, d, 1, keepUpper: true); break;
            case Mnemonic.Cvtsd2ss: ConvertLanes(in ins, d, s, 1, keepUpper: true); break;
            case Mnemonic.Cvtps2pd: ConvertLanes(in ins, s, d, 2, keepUpper: false); break;
            case Mnemonic.Cvtpd2ps: ConvertLanes(in ins, d, s, 2, keepUpper: false); break;
            case Mnemonic.Cvtdq2ps: IntegersToFloats(in ins, s, 4); break;
            case Mnemonic.Cvtdq2pd: IntegersToFloats(in ins, d, 2); break;
            case Mnemonic.Cvtps2dq: FloatsToIntegers(in ins, s, 4, truncate: false); break;
            case Mnemonic.Cvttps2dq: FloatsToIntegers(in ins, s, 4, truncate: true); break;
            case Mnemonic.Cvtpd2dq: FloatsToIntegers(in ins, d, 2, truncate: false); break;
            case Mnemonic.Cvttpd2dq: FloatsToIntegers(in ins, d, 2, truncate: true); break;
            default:
                return false;
        }
        return true;
    }

    // Lane i of a 128-bit value in the format: 32-bit lanes for Single, 64-bit lanes for Double.
    private static ulong Lane(UInt128 v, FloatFormat f, int i) =>
        f == FloatFormat.Double ? (ulong)(v >> (64 * i)) : (uint)(v >> (32 * i));

    private static UInt128 WithLane(UInt128 v, FloatFormat f, int i, ulong lane)
    {
        int width = f == FloatFormat.Double ? 64 : 32;
        UInt128 mask = (f == FloatFormat.Double ? (UInt128)ulong.MaxValue : uint.MaxValue) << (width * i);
        return (v & ~mask) | (((UInt128)lane << (width * i)) & mask);
    }

    private void FloatArithmetic(in Instruction ins, FloatOp op, FloatFormat f, int lanes)
    {
        UInt128 src = ReadXmmOp(in ins, 1);
        UInt128 result = Xmm(ins.Op0Register);
        var env = FpEnv.From(_regs.Mxcsr);
        for (int i = 0; i < lanes; i++)
        {
            ulong a = Lane(result, f, i), b = Lane(src, f, i);
            ulong r = op switch
            {
                FloatOp.Add => Add(a, b, subtract: false, f, ref env),
                FloatOp.Sub => Add(a, b, subtract: true, f, ref env),
                FloatOp.Mul => Multiply(a, b, f, ref env),
                FloatOp.Div => Divide(a, b, f, ref env),
                FloatOp.Min => MinMax(a, b, max: false, f, ref env),
                FloatOp.Max => MinMax(a, b, max: true, f, ref env),
                _ => SquareRoot(b, f, ref env),
            };
            result = WithLane(result, f, i, r);
        }
        CommitFloat(in env);
        Xmm(ins.Op0Register) = result;
    }

    /// <summary>cmpss/cmpsd/cmpps/cmppd: each lane becomes all ones where the predicate (imm8 0..7) holds, else zero.</summary>
    private void FloatCompare(in Instruction ins, FloatFormat f, int lanes)
    {
        UInt128 src = ReadXmmOp(in ins, 1);
        UInt128 result = Xmm(ins.Op0Register);
        int predicate = ins.Immediate8 & 7;
        bool signals = predicate is 1 or 2 or 5 or 6; // lt, le, nlt, nle are the signalling predicates
        var env = FpEnv.From(_regs.Mxcsr);
        for (int i = 0; i < lanes; i++)
        {
            Ordering o = Compare(Lane(result, f, i), Lane(src, f, i), signals, f, ref env);
            bool holds = predicate switch
            {
                0 => o == Ordering.Equal,
                1 => o == Ordering.Less,
                2 => o is Ordering.Less or Ordering.Equal,
                3 => o == Ordering.Unordered,
                4 => o != Ordering.Equal,
                5 => o != Ordering.Less,
                6 => o is not (Ordering.Less or Ordering.Equal),
                _ => o != Ordering.Unordered,
            };
            result = WithLane(result, f, i, holds ? ulong.MaxValue : 0);
        }
        CommitFloat(in env);
        Xmm(ins.Op0Register) = result;
    }

    /// <summary>ucomis/comis: ZF, PF, CF = 111 unordered, 000 greater, 001 less, 100 equal; OF, SF, AF cleared.</summary>
    private void CompareToFlags(in Instruction ins, FloatFormat f, bool signalOnQuietNaN)
    {
        ulong b = Lane(ReadXmmOp(in ins, 1), f, 0);
        ulong a = Lane(Xmm(ins.Op0Register), f, 0);
        var env = FpEnv.From(_regs.Mxcsr);
        Ordering o = Compare(a, b, signalOnQuietNaN, f, ref env);
        CommitFloat(in env);
        ulong flags = o switch
        {
            Ordering.Unordered => X86Flags.ZF | X86Flags.PF | X86Flags.CF,
            Ordering.Less => X86Flags.CF,
            Ordering.Equal => X86Flags.ZF,
            _ => 0,
        };
        _regs.Rflags = (_regs.Rflags & ~X86Flags.Status) | flags;
    }

    /// <summary>cvtsi2ss/cvtsi2sd: a signed 32- or 64-bit integer into the low lane, rounded by MXCSR.</summary>
    private void IntegerToScalar(in Instruction ins, FloatFormat f)
    {
        int size = OpSize(in ins, 1);
        long value = (long)SignExtend(ReadOp(in ins, 1, size), size);
        var env = FpEnv.From(_regs.Mxcsr);
        ulong r = FromInteger(value, f, ref env);
        CommitFloat(in env);
        ref UInt128 dst = ref Xmm(ins.Op0Register);
        dst = WithLane(dst, f, 0, r);
    }

    /// <summary>cvt(t)ss2si/cvt(t)sd2si: the low lane to a 32- or 64-bit general register.</summary>
    private void ScalarToInteger(in Instruction ins, FloatFormat f, bool truncate)
    {
        ulong a = Lane(ReadXmmOp(in ins, 1), f, 0);
        int bits = RegSize[(int)ins.Op0Register] * 8;
        var env = FpEnv.From(_regs.Mxcsr);
        ulong r = ToInteger(a, bits, truncate, f, ref env);
        CommitFloat(in env);
        WriteReg(ins.Op0Register, r);
    }

    /// <summary>cvtss2sd/cvtsd2ss (one lane, the rest kept) and cvtps2pd/cvtpd2ps (two lanes, the rest zeroed).</summary>
    private void ConvertLanes(in Instruction ins, FloatFormat from, FloatFormat to, int lanes, bool keepUpper)
    {
        UInt128 src = ReadXmmOp(in ins, 1);
        UInt128 result = keepUpper ? Xmm(ins.Op0Register) : 0;
        var env = FpEnv.From(_regs.Mxcsr);
        for (int i = 0; i < lanes; i++)
            result = WithLane(result, to, i, Convert(Lane(src, from, i), from, to, ref env));
        CommitFloat(in env);
        Xmm(ins.Op0Register) = result;
    }

    /// <summary>cvtdq2ps (four lanes) and cvtdq2pd (the two low integers; exact).</summary>
    private void IntegersToFloats(in Instruction ins, FloatFormat f, int lanes)
    {
        UInt128 src = ReadXmmOp(in ins, 1);
        UInt128 result = 0;
        var env = FpEnv.From(_regs.Mxcsr);
        for (int i = 0; i < lanes; i++)
            result = WithLane(result, f, i, FromInteger((int)(uint)(src >> (32 * i)), f, ref env));
        CommitFloat(in env);
        Xmm(ins.Op0Register) = result;
    }

    /// <summary>cvt(t)ps2dq (four lanes) and cvt(t)pd2dq (two lanes into the low half, the upper half zeroed).</summary>
    private void FloatsToIntegers(in Instruction ins, FloatFormat f, int lanes, bool truncate)
    {
        UInt128 src = ReadXmmOp(in ins, 1);
        UInt128 result = 0;
        var env = FpEnv.From(_regs.Mxcsr);
        for (int i = 0; i < lanes; i++)
            result |= (UInt128)(uint)ToInteger(Lane(src, f, i), 32, truncate, f, ref env) << (32 * i);
        CommitFloat(in env);
        Xmm(ins.Op0Register) = result;
    }
}
