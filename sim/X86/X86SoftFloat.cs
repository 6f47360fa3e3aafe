using System.Numerics;

namespace MicroKernel.X86;

/// <summary>The shape of an IEEE 754 binary format: binary32 (float) or binary64 (double).</summary>
internal sealed class FloatFormat
{
    /// <summary>binary32: 1 sign bit, 8 exponent bits, 23 fraction bits.</summary>
    public static readonly FloatFormat Single = new(24, 8);
    /// <summary>binary64: 1 sign bit, 11 exponent bits, 52 fraction bits.</summary>
    public static readonly FloatFormat Double = new(53, 11);

    private FloatFormat(int precision, int exponentBits)
    {
        Precision = precision;
        FractionBits = precision - 1;
        Bias = (1 << (exponentBits - 1)) - 1;
        MaxBiased = (1 << exponentBits) - 1;
        SignBit = 1UL << (FractionBits + exponentBits);
        FractionMask = (1UL << FractionBits) - 1;
        ExponentMask = (ulong)MaxBiased << FractionBits;
        QuietBit = 1UL << (FractionBits - 1);
        DefaultNaN = SignBit | ExponentMask | QuietBit; // the "real indefinite": a negative quiet NaN
    }

    /// <summary>Significand bits, the hidden one included (24, 53).</summary>
    public int Precision { get; }
    /// <summary>Stored fraction bits (23, 52).</summary>
    public int FractionBits { get; }
    /// <summary>Exponent bias (127, 1023).</summary>
    public int Bias { get; }
    /// <summary>The exponent field of infinities and NaNs (255, 2047).</summary>
    public int MaxBiased { get; }
    /// <summary>The sign bit.</summary>
    public ulong SignBit { get; }
    /// <summary>The fraction field.</summary>
    public ulong FractionMask { get; }
    /// <summary>The exponent field.</summary>
    public ulong ExponentMask { get; }
    /// <summary>The top fraction bit: set in a quiet NaN, clear in a signalling one.</summary>
    public ulong QuietBit { get; }
    /// <summary>The NaN an invalid operation returns: sign set, quiet bit set, rest zero.</summary>
    public ulong DefaultNaN { get; }
    /// <summary>The smallest exponent of a normal number (-126, -1022).</summary>
    public int MinExponent => 1 - Bias;

    public bool IsNaN(ulong b) => (b & ExponentMask) == ExponentMask && (b & FractionMask) != 0;
    public bool IsSignallingNaN(ulong b) => IsNaN(b) && (b & QuietBit) == 0;
    public bool IsInfinity(ulong b) => (b & ~SignBit) == ExponentMask;
    public bool IsZero(ulong b) => (b & ~SignBit) == 0;
    public bool IsDenormal(ulong b) => (b & ExponentMask) == 0 && (b & FractionMask) != 0;
    public bool IsNegative(ulong b) => (b & SignBit) != 0;
}

/// <summary>
/// The rounding environment of one SSE instruction, taken from MXCSR: rounding mode, FTZ, DAZ, the underflow
/// mask (FTZ only acts when underflow is masked), and the exception flags the instruction raises.
/// </summary>
internal struct FpEnv
{
    /// <summary>0 nearest-even, 1 down, 2 up, 3 toward zero (MXCSR.RC).</summary>
    public int Mode;
    public bool FlushToZero;
    public bool DenormalsAreZero;
    public bool UnderflowMasked;
    /// <summary>The <see cref="X86Mxcsr"/> exception flags raised so far.</summary>
    public uint Flags;
    /// <summary>Skip the host-arithmetic shortcut (tests compare the two paths).</summary>
    public bool ExactOnly;

    public static FpEnv From(uint mxcsr) => new()
    {
        Mode = (int)((mxcsr & X86Mxcsr.RoundingControl) >> X86Mxcsr.RoundingShift),
        FlushToZero = (mxcsr & X86Mxcsr.FTZ) != 0,
        DenormalsAreZero = (mxcsr & X86Mxcsr.DAZ) != 0,
        UnderflowMasked = (mxcsr & (X86Mxcsr.UE << X86Mxcsr.MaskShift)) != 0,
    };
}

/// <summary>
/// IEEE 754 arithmetic on raw bit patterns, done as SSE does it: the exact result is computed with integers
/// (<see cref="BigInteger"/>) and rounded once in the current mode, so every result is bit-exact on any host,
/// whatever its own floating-point unit does. The x86 rules on top of IEEE: a NaN result is the first operand's
/// NaN (quieted) if it is one, else the second's; an invalid operation gives the negative "real indefinite" NaN;
/// tininess is detected after rounding; FTZ flushes tiny results to zero and DAZ reads denormal operands as zero.
/// </summary>
internal static partial class X86SoftFloat
{
    /// <summary>
    /// The flags one operation raised, as the processor reports them: an invalid operation or a division by zero
    /// (decided before computing) hides the denormal-operand flag, e.g. denormal / 0 raises only ZE.
    /// </summary>
    private static uint Settle(uint flags) =>
        (flags & (X86Mxcsr.IE | X86Mxcsr.ZE)) != 0 ? flags & ~X86Mxcsr.DE : flags;

    /// <inheritdoc cref="AddExact"/>
    public static ulong Add(ulong a, ulong b, bool subtract, FloatFormat f, ref FpEnv env)
    {
        if (env.Mode == 0 && !env.ExactOnly && Fast.TryAdd(a, b, subtract, f, ref env, out ulong fast))
            return fast;
        uint outer = env.Flags;
        env.Flags = 0;
        ulong result = AddExact(a, b, subtract, f, ref env);
        env.Flags = outer | Settle(env.Flags);
        return result;
    }
    /// <inheritdoc cref="MultiplyExact"/>
    public static ulong Multiply(ulong a, ulong b, FloatFormat f, ref FpEnv env)
    {
        if (env.Mode == 0 && !env.ExactOnly && Fast.TryMultiply(a, b, f, ref env, out ulong fast))
            return fast;
        uint outer = env.Flags;
        env.Flags = 0;
        ulong result = MultiplyExact(a, b, f, ref env);
        env.Flags = outer | Settle(env.Flags);
        return result;
    }
    /// <inheritdoc cref="DivideExact"/>
    public static ulong Divide(ulong a, ulong b, FloatFormat f, ref FpEnv env)
    {
        if (env.Mode == 0 && !env.ExactOnly && Fast.TryDivide(a, b, f, ref env, out ulong fast))
            return fast;
        uint outer = env.Flags;
        env.Flags = 0;
        ulong result = DivideExact(a, b, f, ref env);
        env.Flags = outer | Settle(env.Flags);
        return result;
    }
    /// <inheritdoc cref="SquareRootExact"/>
    public static ulong SquareRoot(ulong a, FloatFormat f, ref FpEnv env)
    {
        if (env.Mode == 0 && !env.ExactOnly && Fast.TrySquareRoot(a, f, ref env, out ulong fast))
            return fast;
        uint outer = env.Flags;
        env.Flags = 0;
        ulong result = SquareRootExact(a, f, ref env);
        env.Flags = outer | Settle(env.Flags);
        return result;
    }
    /// <inheritdoc cref="MinMaxExact"/>
    public static ulong MinMax(ulong a, ulong b, bool max, FloatFormat f, ref FpEnv env)
    {
        uint outer = env.Flags;
        env.Flags = 0;
        ulong result = MinMaxExact(a, b, max, f, ref env);
        env.Flags = outer | Settle(env.Flags);
        return result;
    }
    /// <inheritdoc cref="ConvertExact"/>
    public static ulong Convert(ulong a, FloatFormat from, FloatFormat to, ref FpEnv env)
    {
        uint outer = env.Flags;
        env.Flags = 0;
        ulong result = ConvertExact(a, from, to, ref env);
        env.Flags = outer | Settle(env.Flags);
        return result;
    }

    /// <summary>An exact finite value: mantissa * 2^exponent.</summary>
    private static (BigInteger Mantissa, int Exponent) Unpack(ulong b, FloatFormat f)
    {
        ulong fraction = b & f.FractionMask;
        int field = (int)((b & f.ExponentMask) >> f.FractionBits);
        return field == 0
            ? (fraction, f.MinExponent - f.FractionBits)
            : (fraction | (1UL << f.FractionBits), field - f.Bias - f.FractionBits);
    }

    /// <summary>DAZ: a denormal operand is read as a zero of its sign; without DAZ it raises the denormal flag.</summary>
    private static ulong Operand(ulong b, FloatFormat f, ref FpEnv env)
    {
        if (!f.IsDenormal(b))
            return b;
        if (env.DenormalsAreZero)
            return b & f.SignBit;
        env.Flags |= X86Mxcsr.DE;
        return b;
    }

    /// <summary>The NaN result of an operation with a NaN operand: the first NaN operand, quieted; an SNaN is invalid.</summary>
    private static ulong PropagateNaN(ulong a, ulong b, FloatFormat f, ref FpEnv env)
    {
        if (f.IsSignallingNaN(a) || f.IsSignallingNaN(b))
            env.Flags |= X86Mxcsr.IE;
        return (f.IsNaN(a) ? a : b) | f.QuietBit;
    }

    private static ulong Invalid(FloatFormat f, ref FpEnv env)
    {
        env.Flags |= X86Mxcsr.IE;
        return f.DefaultNaN;
    }

    /// <summary>a + b, or a - b.</summary>
    private static ulong AddExact(ulong a, ulong b, bool subtract, FloatFormat f, ref FpEnv env)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
            return PropagateNaN(a, b, f, ref env);
        a = Operand(a, f, ref env);
        b = Operand(b, f, ref env);
        if (subtract)
            b ^= f.SignBit;
        bool infA = f.IsInfinity(a), infB = f.IsInfinity(b);
        if (infA || infB)
            return infA && infB && f.IsNegative(a) != f.IsNegative(b) ? Invalid(f, ref env) : infA ? a : b;
        var (ma, ea) = Unpack(a, f);
        var (mb, eb) = Unpack(b, f);
        int e = Math.Min(ea, eb);
        BigInteger sum = (f.IsNegative(a) ? -ma : ma) << (ea - e);
        sum += (f.IsNegative(b) ? -mb : mb) << (eb - e);
        if (sum.IsZero)
        {
            // An exact zero: -0 only from (-0) + (-0), or from opposite signs when rounding down.
            bool negative = f.IsNegative(a) && f.IsNegative(b) || (f.IsNegative(a) != f.IsNegative(b) && env.Mode == 1);
            return negative ? f.SignBit : 0;
        }
        return Round(sum.Sign < 0, BigInteger.Abs(sum), e, false, f, ref env);
    }

    /// <summary>a * b.</summary>
    private static ulong MultiplyExact(ulong a, ulong b, FloatFormat f, ref FpEnv env)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
            return PropagateNaN(a, b, f, ref env);
        a = Operand(a, f, ref env);
        b = Operand(b, f, ref env);
        ulong sign = (a ^ b) & f.SignBit;
        if (f.IsInfinity(a) || f.IsInfinity(b))
            return f.IsZero(a) || f.IsZero(b) ? Invalid(f, ref env) : sign | f.ExponentMask;
        if (f.IsZero(a) || f.IsZero(b))
            return sign;
        var (ma, ea) = Unpack(a, f);
        var (mb, eb) = Unpack(b, f);
        return Round(sign != 0, ma * mb, ea + eb, false, f, ref env);
    }

    /// <summary>a / b.</summary>
    private static ulong DivideExact(ulong a, ulong b, FloatFormat f, ref FpEnv env)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
            return PropagateNaN(a, b, f, ref env);
        a = Operand(a, f, ref env);
        b = Operand(b, f, ref env);
        ulong sign = (a ^ b) & f.SignBit;
        if (f.IsInfinity(a))
            return f.IsInfinity(b) ? Invalid(f, ref env) : sign | f.ExponentMask;
        if (f.IsInfinity(b))
            return sign;
        if (f.IsZero(b))
        {
            if (f.IsZero(a))
                return Invalid(f, ref env);
            env.Flags |= X86Mxcsr.ZE;
            return sign | f.ExponentMask;
        }
        if (f.IsZero(a))
            return sign;
        var (ma, ea) = Unpack(a, f);
        var (mb, eb) = Unpack(b, f);
        // Enough quotient bits (precision + 2) that the remainder only decides the sticky bit.
        int k = Math.Max(0, f.Precision + 2 + (int)mb.GetBitLength() - (int)ma.GetBitLength());
        BigInteger q = BigInteger.DivRem(ma << k, mb, out BigInteger r);
        return Round(sign != 0, q, ea - eb - k, !r.IsZero, f, ref env);
    }

    /// <summary>The square root of a.</summary>
    private static ulong SquareRootExact(ulong a, FloatFormat f, ref FpEnv env)
    {
        if (f.IsNaN(a))
            return PropagateNaN(a, a, f, ref env);
        a = Operand(a, f, ref env);
        if (f.IsZero(a))
            return a; // sqrt(-0) = -0
        if (f.IsNegative(a))
            return Invalid(f, ref env);
        if (f.IsInfinity(a))
            return a;
        var (m, e) = Unpack(a, f);
        int shift = Math.Max(0, 2 * f.Precision + 4 - (int)m.GetBitLength());
        if (((e - shift) & 1) != 0)
            shift++;
        m <<= shift;
        e -= shift;
        BigInteger root = IntegerSquareRoot(m);
        return Round(false, root, e / 2, root * root != m, f, ref env);
    }

    private static BigInteger IntegerSquareRoot(BigInteger n)
    {
        // Newton's method from above: starts at a power of two >= sqrt(n) and decreases to floor(sqrt(n)).
        BigInteger x = BigInteger.One << (int)((n.GetBitLength() + 1) / 2);
        while (true)
        {
            BigInteger y = (x + n / x) >> 1;
            if (y >= x)
                return x;
            x = y;
        }
    }

    /// <summary>The result of comparing two values: SSE's compares and ucomis/comis ask for one of these.</summary>
    public enum Ordering { Less, Equal, Greater, Unordered }

    /// <summary>
    /// Compares a with b. A NaN operand is unordered and raises invalid if it is signalling or if
    /// <paramref name="signalOnQuietNaN"/> (comiss, and cmpps's lt/le/nlt/nle predicates); denormals follow DAZ.
    /// </summary>
    public static Ordering Compare(ulong a, ulong b, bool signalOnQuietNaN, FloatFormat f, ref FpEnv env)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
        {
            if (signalOnQuietNaN || f.IsSignallingNaN(a) || f.IsSignallingNaN(b))
                env.Flags |= X86Mxcsr.IE;
            return Ordering.Unordered;
        }
        a = Operand(a, f, ref env);
        b = Operand(b, f, ref env);
        // Finite and infinite values compare exactly as host doubles (no rounding is involved).
        double x = ToDouble(a, f), y = ToDouble(b, f);
        return x < y ? Ordering.Less : x > y ? Ordering.Greater : Ordering.Equal;
    }

    private static double ToDouble(ulong b, FloatFormat f) =>
        f == FloatFormat.Double ? BitConverter.UInt64BitsToDouble(b) : BitConverter.UInt32BitsToSingle((uint)b);

    /// <summary>
    /// minss/maxss and the packed forms: a (the destination) if it is strictly less (greater) than b, else b,
    /// so a NaN in either operand, or two zeros, give b. Any NaN, even a quiet one, is invalid.
    /// </summary>
    private static ulong MinMaxExact(ulong a, ulong b, bool max, FloatFormat f, ref FpEnv env)
    {
        if (f.IsNaN(a) || f.IsNaN(b))
        {
            env.Flags |= X86Mxcsr.IE;
            return env.DenormalsAreZero && f.IsDenormal(b) ? b & f.SignBit : b; // b as DAZ reads it
        }
        a = Operand(a, f, ref env);
        b = Operand(b, f, ref env);
        double x = ToDouble(a, f), y = ToDouble(b, f);
        return (max ? x > y : x < y) ? a : b;
    }

    /// <summary>A signed integer to the format, rounded in the current mode (cvtsi2sd, cvtdq2ps...).</summary>
    public static ulong FromInteger(long value, FloatFormat f, ref FpEnv env)
    {
        if (value == 0)
            return 0;
        if (!env.ExactOnly && Fast.TryFromInteger(value, f, out ulong fast))
            return fast;
        BigInteger m = value;
        return Round(value < 0, BigInteger.Abs(m), 0, false, f, ref env);
    }

    /// <summary>
    /// The format's value to a signed integer of <paramref name="bits"/> bits (32 or 64), truncated or rounded in
    /// the current mode. NaN, infinity and out-of-range values are invalid and give the "integer indefinite"
    /// (only the sign bit set: 0x80000000 or 0x8000000000000000).
    /// </summary>
    public static ulong ToInteger(ulong a, int bits, bool truncate, FloatFormat f, ref FpEnv env)
    {
        ulong indefinite = 1UL << (bits - 1);
        if (f.IsNaN(a) || f.IsInfinity(a))
        {
            env.Flags |= X86Mxcsr.IE;
            return indefinite;
        }
        if (f.IsDenormal(a) && env.DenormalsAreZero)
            a &= f.SignBit;
        if (f.IsZero(a))
            return 0;
        bool negative = f.IsNegative(a);
        var (m, e) = Unpack(a, f);
        var (q, inexact) = RoundAt(negative, m, e, false, 0, truncate ? 3 : env.Mode);
        if (negative ? q > indefinite : q >= indefinite)
        {
            env.Flags |= X86Mxcsr.IE;
            return indefinite;
        }
        if (inexact)
            env.Flags |= X86Mxcsr.PE;
        ulong magnitude = (ulong)q;
        ulong result = negative ? 0 - magnitude : magnitude;
        return bits == 64 ? result : result & 0xffff_ffff;
    }

    /// <summary>Converts between the two formats (cvtss2sd, cvtsd2ss): a NaN keeps its sign and top payload bits, quieted.</summary>
    private static ulong ConvertExact(ulong a, FloatFormat from, FloatFormat to, ref FpEnv env)
    {
        bool negative = from.IsNegative(a);
        ulong sign = negative ? to.SignBit : 0;
        if (from.IsNaN(a))
        {
            if (from.IsSignallingNaN(a))
                env.Flags |= X86Mxcsr.IE;
            ulong payload = a & from.FractionMask;
            payload = to.FractionBits > from.FractionBits
                ? payload << (to.FractionBits - from.FractionBits)
                : payload >> (from.FractionBits - to.FractionBits);
            return sign | to.ExponentMask | to.QuietBit | payload;
        }
        if (from.IsInfinity(a))
            return sign | to.ExponentMask;
        a = Operand(a, from, ref env);
        if (from.IsZero(a))
            return sign;
        var (m, e) = Unpack(a, from);
        return Round(negative, m, e, false, to, ref env);
    }

    /// <summary>
    /// Rounds mantissa * 2^exponent (plus a bit less than one unit of the mantissa's last place when
    /// <paramref name="sticky"/>; callers then pass at least precision + 2 bits) to the format: handles
    /// subnormals, overflow, the underflow, overflow and precision flags, and FTZ.
    /// </summary>
    private static ulong Round(bool negative, BigInteger mantissa, int exponent, bool sticky, FloatFormat f, ref FpEnv env)
    {
        ulong sign = negative ? f.SignBit : 0;
        int top = exponent + (int)mantissa.GetBitLength() - 1; // the exponent of the leading 1
        bool tiny = false;
        if (top < f.MinExponent)
        {
            // x86 detects tininess after rounding: round as if the exponent range were unbounded, then look.
            var (unbounded, _) = RoundAt(negative, mantissa, exponent, sticky, top - f.FractionBits, env.Mode);
            tiny = (unbounded >> f.Precision).IsZero ? top < f.MinExponent : top + 1 < f.MinExponent;
        }
        int lsb = Math.Max(top, f.MinExponent) - f.FractionBits;
        var (q, inexact) = RoundAt(negative, mantissa, exponent, sticky, lsb, env.Mode);
        if (tiny)
        {
            if (env.FlushToZero && env.UnderflowMasked)
            {
                env.Flags |= X86Mxcsr.UE | X86Mxcsr.PE;
                return sign;
            }
            if (inexact || !env.UnderflowMasked)
                env.Flags |= X86Mxcsr.UE;
        }
        if (inexact)
            env.Flags |= X86Mxcsr.PE;
        if (!(q >> f.Precision).IsZero)
        {
            q >>= 1; // rounding carried into the next power of two
            lsb++;
        }
        ulong bits = (ulong)q;
        if (bits < 1UL << f.FractionBits)
            return sign | bits; // subnormal (the exponent field is 0)
        int biased = lsb + f.FractionBits + f.Bias;
        if (biased >= f.MaxBiased)
        {
            env.Flags |= X86Mxcsr.OE | X86Mxcsr.PE;
            bool toInfinity = env.Mode switch { 0 => true, 1 => negative, 2 => !negative, _ => false };
            return sign | (toInfinity ? f.ExponentMask : f.ExponentMask - 1);
        }
        return sign | ((ulong)biased << f.FractionBits) | (bits & f.FractionMask);
    }

    /// <summary>Rounds mantissa * 2^exponent (+ sticky) to a multiple of 2^lsb; returns the multiple and whether it is inexact.</summary>
    private static (BigInteger Q, bool Inexact) RoundAt(bool negative, BigInteger mantissa, int exponent, bool sticky, int lsb, int mode)
    {
        int shift = lsb - exponent;
        if (shift <= 0)
            return (mantissa << -shift, sticky);
        BigInteger q = mantissa >> shift;
        BigInteger rest = mantissa - (q << shift);
        if (rest.IsZero && !sticky)
            return (q, false);
        int half = rest.CompareTo(BigInteger.One << (shift - 1));
        if (half == 0 && sticky)
            half = 1;
        bool up = mode switch
        {
            0 => half > 0 || (half == 0 && !q.IsEven),
            1 => negative,
            2 => !negative,
            _ => false,
        };
        return (up ? q + 1 : q, true);
    }
}
