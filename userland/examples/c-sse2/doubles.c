/* doubles.c -- scalar double and float arithmetic, conversions, compares, NaN and infinity, as gcc compiles them
 * for the x86-64 baseline (SSE2). Every input depends on argc so nothing is folded at compile time. */
#include "out.h"

struct point { double x, y, z; };

static double harmonic(int n)
{
    double s = 0;
    for (int i = 1; i <= n; i++) s += 1.0 / i;
    return s;
}

static double newton_sqrt(double x)
{
    double r = x > 1 ? x : 1;
    for (int i = 0; i < 60; i++) r = 0.5 * (r + x / r);
    return r;
}

static float float_series(int n)
{
    float s = 0;
    for (int i = 0; i < n; i++) s += 0.1f * (float)i - 1.0f / (float)(i + 1);
    return s;
}

static double distance2(struct point a, struct point b)
{
    double dx = a.x - b.x, dy = a.y - b.y, dz = a.z - b.z;
    return dx * dx + dy * dy + dz * dz;
}

__attribute__((noinline)) static double pick(double a, double b, int max) { return max ? (a > b ? a : b) : (a < b ? a : b); }

int main(int argc, char **argv)
{
    (void)argv;
    int n = 999 + argc;                       /* 1000 */
    volatile double zero = 0.0, one = (double)argc;
    double h = harmonic(n);
    out_bits("harmonic", h);
    out_line("harmonic_e9", (long)(h * 1e9));
    double r2 = newton_sqrt(2.0 * one);
    out_bits("sqrt2", r2);
    out_line("sqrt2_e15", (long)(r2 * 1e15));
    out_fbits("float_series", float_series(n));
    struct point p = {1.5 * one, -2.25, 3.0}, q = {-0.5, 4.75 * one, 1e-3};
    out_bits("distance2", distance2(p, q));
    out_line("trunc_neg", (long)(-2.5 * one));
    out_line("round_half", (long)(2.5 * one + 0.5));
    out_line("big", (long)(1e18 * one));
    out_line("to_int", (int)(-123456.789 * one));
    out_line("unsigned", (long)(unsigned)(3e9 * one));
    out_line("from_long", (long)((double)(9007199254740993L * argc) - 9007199254740992.0));
    out_bits("from_float", (double)(0.1f * (float)one));
    out_fbits("to_float", (float)(0.1 * one));
    out_bits("inf", one / zero);
    out_bits("neg_inf", -one / zero);
    double nan = zero / zero;
    out_bits("nan", nan);
    out_line("nan_eq", nan == nan);
    out_line("nan_lt", nan < one);
    out_line("nan_ne", nan != nan);
    out_bits("max", pick(one, -3.0, 1));
    out_bits("min", pick(one, -3.0, 0));
    out_bits("min_nan", pick(nan, 2.0, 0));
    out_bits("tiny", 2.2250738585072014e-308 * one / 3.0);
    out_bits("huge", 1.7976931348623157e308 * one * 2.0);
    long count = 0;
    for (int i = 0; i < n; i++) count += (double)i * 0.37 < 100.0 * one;
    out_line("below", count);
    return 0;
}
