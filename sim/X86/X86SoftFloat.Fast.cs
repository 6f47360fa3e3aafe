namespace MicroKernel.X86;

internal static partial class X86SoftFloat
{
    /// <summary>
    /// The common case done with the host's own IEEE arithmetic, which rounds to nearest-even exactly as SSE does
    /// in its default mode: normal operands and a result far from overflow and underflow (so FTZ, DAZ and the
    /// underflow and overflow rules cannot apply). Exactness, for the precision flag, comes from error-free
    /// transformations (TwoSum, and a fused multiply-add for the rest of a product, quotient or root); a single
    /// is computed in double and rounded once more, which gives the correctly rounded single (53 >= 2 * 24 + 2).
    /// Anything else returns false and takes the exact integer path. Conversions of small integers are exact, so
    /// their shortcut serves every rounding mode.
    /// </summary>
    private static class Fast
    {
        // Results must lie in [Low, High): doubles 2^-900..2^1000, singles 2^-100..2^100.
        private static readonly double Low = Math.ScaleB(1.0, -900), High = Math.ScaleB(1.0, 1000);
        private static readonly double LowSingle = Math.ScaleB(1.0, -100), HighSingle = Math.ScaleB(1.0, 100);

        private static bool Normal(ulong b, FloatFormat f)
        {
            ulong e = b & f.ExponentMask;
            return e != 0 && e != f.ExponentMask;
        }

        private static double Value(ulong b, FloatFormat f) =>
            f == FloatFormat.Double ? BitConverter.UInt64BitsToDouble(b) : BitConverter.UInt32BitsToSingle((uint)b);

        // Rounds the double result r (exactInDouble: r itself is exact) to the format, if it is in the safe range.
        private static bool Finish(double r, bool exactInDouble, FloatFormat f, ref FpEnv env, out ulong result)
        {
            double magnitude = Math.Abs(r);
            if (f == FloatFormat.Double)
            {
                result = BitConverter.DoubleToUInt64Bits(r);
                if (!(magnitude >= Low && magnitude < High))
                    return false;
                if (!exactInDouble)
                    env.Flags |= X86Mxcsr.PE;
                return true;
            }
            float single = (float)r;
            result = BitConverter.SingleToUInt32Bits(single);
            if (!(magnitude >= LowSingle && magnitude < HighSingle))
                return false;
            if (!exactInDouble || single != r)
                env.Flags |= X86Mxcsr.PE;
            return true;
        }

        public static bool TryAdd(ulong a, ulong b, bool subtract, FloatFormat f, ref FpEnv env, out ulong result)
        {
            result = 0;
            if (!Normal(a, f) || !Normal(b, f))
                return false;
            double x = Value(a, f), y = subtract ? -Value(b, f) : Value(b, f);
            double s = x + y;
            double yy = s - x;
            double error = (x - (s - yy)) + (y - yy); // TwoSum: the exact rounding error of s
            return Finish(s, error == 0, f, ref env, out result);
        }

        public static bool TryMultiply(ulong a, ulong b, FloatFormat f, ref FpEnv env, out ulong result)
        {
            result = 0;
            if (!Normal(a, f) || !Normal(b, f))
                return false;
            double x = Value(a, f), y = Value(b, f);
            double p = x * y;
            return Finish(p, Math.FusedMultiplyAdd(x, y, -p) == 0, f, ref env, out result);
        }

        public static bool TryDivide(ulong a, ulong b, FloatFormat f, ref FpEnv env, out ulong result)
        {
            result = 0;
            if (!Normal(a, f) || !Normal(b, f) || Math.Abs(Value(a, f)) < Low)
                return false;
            double x = Value(a, f), y = Value(b, f);
            double q = x / y;
            return Finish(q, Math.FusedMultiplyAdd(-q, y, x) == 0, f, ref env, out result);
        }

        // An integer of at most Precision significant bits (|value| <= 2^53 for a double, 2^24 for a single) is
        // exact in the format, so no rounding mode can change it and no flag is raised: the host converts it. This
        // is the common cvtsi2sd of a loop counter or an array index, and it spares the exact path's BigInteger.
        public static bool TryFromInteger(long value, FloatFormat f, out ulong result)
        {
            long limit = 1L << f.Precision;
            if (value < -limit || value > limit)
            {
                result = 0;
                return false;
            }
            result = f == FloatFormat.Double ? BitConverter.DoubleToUInt64Bits((double)value) : BitConverter.SingleToUInt32Bits((float)value);
            return true;
        }

        public static bool TrySquareRoot(ulong a, FloatFormat f, ref FpEnv env, out ulong result)
        {
            result = 0;
            if (!Normal(a, f) || f.IsNegative(a) || Value(a, f) < Low)
                return false;
            double x = Value(a, f);
            double r = Math.Sqrt(x);
            return Finish(r, Math.FusedMultiplyAdd(-r, r, x) == 0, f, ref env, out result);
        }
    }
}
