using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The soft-float's shortcut through the host's arithmetic (round to nearest, normal operands) must give the very
/// bits and flags of its exact integer path, on many seeded random operands of both formats, including results
/// near the shortcut's limits.
/// </summary>
public sealed class X86SoftFloatTests
{
    private static ulong RandomNormal(TestRandom random, FloatFormat f)
    {
        // Exponents over the whole range (so some results overflow, underflow or land near the limits).
        ulong exponent = (ulong)random.Next(1, f.MaxBiased);
        ulong fraction = ((ulong)random.Next() << 31 ^ (ulong)random.Next()) & f.FractionMask;
        if (random.Next(4) == 0) fraction &= ~0xffUL; // short mantissas: many exact results
        ulong sign = random.Next(2) == 0 ? 0 : f.SignBit;
        return sign | (exponent << f.FractionBits) | fraction;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_shortcut_agrees_with_the_exact_path(bool isDouble)
    {
        FloatFormat f = isDouble ? FloatFormat.Double : FloatFormat.Single;
        var random = new TestRandom(isDouble ? 1UL : 2UL);
        int compared = 0;
        for (int i = 0; i < 40_000; i++)
        {
            ulong a = RandomNormal(random, f), b = RandomNormal(random, f);
            if (random.Next(3) == 0)
                b = (b & ~f.ExponentMask) | (a & f.ExponentMask); // same exponent: cancellation, exact sums
            for (int op = 0; op < 5; op++)
            {
                var fast = new FpEnv();
                var exact = new FpEnv { ExactOnly = true };
                ulong r1 = Apply(op, a, b, f, ref fast);
                ulong r2 = Apply(op, a, b, f, ref exact);
                if (r1 != r2 || fast.Flags != exact.Flags)
                    throw new ShouldAssertException($"op {op} of {a:x} and {b:x}: shortcut {r1:x} flags {fast.Flags:x}, exact {r2:x} flags {exact.Flags:x}");
                compared++;
            }
        }
        compared.ShouldBe(200_000);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Integer_conversions_agree_with_the_exact_path_in_every_rounding_mode(bool isDouble)
    {
        // The shortcut takes |value| <= 2^Precision; the values just past that limit must round (and flag PE)
        // exactly as before, so the limits and their neighbours are checked with seeded random values of every size.
        FloatFormat f = isDouble ? FloatFormat.Double : FloatFormat.Single;
        long limit = 1L << f.Precision;
        var values = new List<long> { 1, -1, 7, limit - 1, limit, limit + 1, limit + 2, limit + 3, -limit, -limit - 1, -limit - 3, long.MaxValue, long.MinValue, int.MinValue };
        var random = new TestRandom(isDouble ? 3UL : 4UL);
        for (int i = 0; i < 2000; i++)
            values.Add((long)((ulong)random.Next() << 33 ^ (ulong)random.Next() << 2 ^ (ulong)random.Next(4)) >> random.Next(64));
        int shortcuts = 0;
        foreach (long value in values)
            for (int mode = 0; mode < 4; mode++)
            {
                var fast = new FpEnv { Mode = mode };
                var exact = new FpEnv { Mode = mode, ExactOnly = true };
                ulong r1 = X86SoftFloat.FromInteger(value, f, ref fast);
                ulong r2 = X86SoftFloat.FromInteger(value, f, ref exact);
                if (r1 != r2 || fast.Flags != exact.Flags)
                    throw new ShouldAssertException($"{value} in mode {mode}: shortcut {r1:x} flags {fast.Flags:x}, exact {r2:x} flags {exact.Flags:x}");
                if (Math.Abs((double)value) <= limit) shortcuts++;
            }
        shortcuts.ShouldBeGreaterThan(400); // both sides of the limit were exercised
        shortcuts.ShouldBeLessThan(values.Count * 4);
    }

    private static ulong Apply(int op, ulong a, ulong b, FloatFormat f, ref FpEnv env) => op switch
    {
        0 => X86SoftFloat.Add(a, b, subtract: false, f, ref env),
        1 => X86SoftFloat.Add(a, b, subtract: true, f, ref env),
        2 => X86SoftFloat.Multiply(a, b, f, ref env),
        3 => X86SoftFloat.Divide(a, b, f, ref env),
        _ => X86SoftFloat.SquareRoot(a & ~f.SignBit, f, ref env),
    };
}
