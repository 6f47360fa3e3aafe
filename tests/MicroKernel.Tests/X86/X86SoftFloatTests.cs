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

    private static ulong Apply(int op, ulong a, ulong b, FloatFormat f, ref FpEnv env) => op switch
    {
        0 => X86SoftFloat.Add(a, b, subtract: false, f, ref env),
        1 => X86SoftFloat.Add(a, b, subtract: true, f, ref env),
        2 => X86SoftFloat.Multiply(a, b, f, ref env),
        3 => X86SoftFloat.Divide(a, b, f, ref env),
        _ => X86SoftFloat.SquareRoot(a & ~f.SignBit, f, ref env),
    };
}
