/* vectors.c -- loops gcc vectorizes with SSE2 at -O2 and -O3: packed int, short, byte, float and double
 * arithmetic, reductions, compares and conversions. Prints checksums. */
#include "out.h"

#define N 1000

static int a[N], b[N], c[N];
static short s[N], t[N];
static unsigned char u8[N], v8[N];
static float f[N], g[N];
static double d[N], e[N];

static unsigned seed = 12345;
static unsigned next(void) { seed = seed * 1103515245u + 12345u; return seed >> 8; }

int main(int argc, char **argv)
{
    (void)argv;
    seed += (unsigned)argc;
    for (int i = 0; i < N; i++)
    {
        a[i] = (int)next() - 30000000;
        b[i] = (int)(next() % 2001) - 1000;
        s[i] = (short)next();
        t[i] = (short)next();
        u8[i] = (unsigned char)next();
        v8[i] = (unsigned char)next();
        f[i] = (float)(int)(next() % 1000) / 8.0f;
        d[i] = (double)(int)(next() % 100000) / 3.0;
    }
    for (int i = 0; i < N; i++) c[i] = a[i] + b[i] * 3;
    long sum = 0;
    for (int i = 0; i < N; i++) sum += c[i];
    out_line("int_sum", sum);
    int mx = a[0], mn = a[0];
    for (int i = 0; i < N; i++) { mx = a[i] > mx ? a[i] : mx; mn = a[i] < mn ? a[i] : mn; }
    out_line("int_max", mx);
    out_line("int_min", mn);
    unsigned absx = 0;
    for (int i = 0; i < N; i++) absx ^= (unsigned)(b[i] < 0 ? -b[i] : b[i]) << (i & 7);
    out_line("abs_xor", absx);
    for (int i = 0; i < N; i++) t[i] = (short)((s[i] * t[i]) >> 8);
    int ssum = 0;
    for (int i = 0; i < N; i++) ssum += t[i];
    out_line("short_mul", ssum);
    for (int i = 0; i < N; i++) { int x = u8[i] + v8[i]; u8[i] = (unsigned char)(x > 255 ? 255 : x); }
    for (int i = 0; i < N; i++) v8[i] = (unsigned char)(v8[i] > u8[i] ? v8[i] - u8[i] : u8[i] - v8[i]);
    unsigned bsum = 0;
    for (int i = 0; i < N; i++) bsum += u8[i] * 3u + v8[i];
    out_line("byte_sum", bsum);
    long count = 0;
    for (int i = 0; i < N; i++) count += a[i] > b[i] * 20000;
    out_line("greater", count);
    for (int i = 0; i < N; i++) g[i] = f[i] * 2.5f + (float)b[i];
    for (int i = 0; i < N; i++) c[i] = (int)(g[i] * 0.75f);
    long fsum = 0;
    for (int i = 0; i < N; i++) fsum += c[i];
    out_line("float_to_int", fsum);
    unsigned fbits = 0;
    for (int i = 0; i < N; i++) { union { float f; unsigned u; } x = {g[i]}; fbits ^= x.u + (unsigned)i; }
    out_line("float_bits", fbits);
    for (int i = 0; i < N; i++) e[i] = d[i] * 0.5 + (double)a[i] / 7.0;
    double dsum = 0;
    for (int i = 0; i < N; i++) dsum += e[i];
    out_bits("double_sum", dsum);
    for (int i = 0; i < N; i++) e[i] = d[i] < e[i] ? d[i] : e[i];
    unsigned long dbits = 0;
    for (int i = 0; i < N; i++) { union { double d; unsigned long u; } x = {e[i]}; dbits += x.u >> 12; }
    out_line("double_min_bits", (long)dbits);
    for (int i = 0; i < N; i++) f[i] = (float)a[i];
    for (int i = 0; i < N; i++) d[i] = (double)f[i] - (double)a[i];
    double err = 0;
    for (int i = 0; i < N; i++) err += d[i] < 0 ? -d[i] : d[i];
    out_bits("float_round_err", err);
    return 0;
}
