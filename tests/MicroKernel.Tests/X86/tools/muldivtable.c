/*
 * muldivtable.c -- regenerates the rows of X86MulDivTableTests.cs: one-operand mul and imul (rdx:rax = rax * src)
 * and div and idiv (rax = rdx:rax / src, rdx = remainder) at 8, 16, 32 and 64 bits, executed on the host x86-64
 * processor. Rows where the SDM says the instruction raises #DE (divisor 0, or a quotient that does not fit the
 * destination) are not executed: they are decided here by the SDM's rule and printed with "#DE".
 *
 *   gcc -O1 -o muldivtable muldivtable.c && ./muldivtable > rows.txt
 */
#include <stdint.h>
#include <stdio.h>

#define CF 0x1
#define OF 0x800

typedef unsigned __int128 u128;
typedef __int128 s128;

/* 8-bit forms use ax (ah:al) instead of dx:ax. */
static void run8(int sign, int div, uint64_t *rax, uint64_t *rdx, uint64_t src, uint64_t *flags)
{
    uint64_t a = *rax, f = 0;
    uint8_t s = (uint8_t)src;
    if (!div && !sign) __asm__ volatile("mulb %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), [f] "=&r"(f) : [s] "q"(s) : "cc");
    if (!div && sign) __asm__ volatile("imulb %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), [f] "=&r"(f) : [s] "q"(s) : "cc");
    if (div && !sign) __asm__ volatile("divb %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), [f] "=&r"(f) : [s] "q"(s) : "cc");
    if (div && sign) __asm__ volatile("idivb %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), [f] "=&r"(f) : [s] "q"(s) : "cc");
    *rax = a;
    *flags = f;
}

#define RUN(bits, type, suffix)                                                                               \
    static void run##bits(int sign, int div, uint64_t *rax, uint64_t *rdx, uint64_t src, uint64_t *flags)     \
    {                                                                                                         \
        type a = (type)*rax, d = (type)*rdx, s = (type)src;                                                   \
        uint64_t f = 0;                                                                                       \
        if (!div && !sign) __asm__ volatile("mul" suffix " %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), "+d"(d), [f] "=&r"(f) : [s] "r"(s) : "cc"); \
        if (!div && sign) __asm__ volatile("imul" suffix " %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), "+d"(d), [f] "=&r"(f) : [s] "r"(s) : "cc"); \
        if (div && !sign) __asm__ volatile("div" suffix " %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), "+d"(d), [f] "=&r"(f) : [s] "r"(s) : "cc"); \
        if (div && sign) __asm__ volatile("idiv" suffix " %[s]\n\tpushfq\n\tpop %[f]" : "+a"(a), "+d"(d), [f] "=&r"(f) : [s] "r"(s) : "cc"); \
        *rax = (*rax & ~(uint64_t)(type)-1) | a;                                                              \
        *rdx = (*rdx & ~(uint64_t)(type)-1) | d;                                                              \
        if (bits == 32) { *rax = (uint32_t)a; *rdx = (uint32_t)d; } /* 32-bit writes zero-extend */          \
        *flags = f;                                                                                           \
    }
RUN(16, uint16_t, "w")
RUN(32, uint32_t, "l")
RUN(64, uint64_t, "q")

static int64_t sx(uint64_t v, int bits) { return bits == 64 ? (int64_t)v : (int64_t)(v << (64 - bits)) >> (64 - bits); }

/* The SDM's #DE rule: divisor 0, or the quotient does not fit the destination register. */
static int divide_error(int sign, int bits, uint64_t rax, uint64_t rdx, uint64_t src)
{
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    if ((src & mask) == 0) return 1;
    if (bits == 8) { rdx = (rax >> 8) & 0xff; rax &= 0xff; }
    if (!sign) {
        u128 n = ((u128)(rdx & mask) << bits) | (rax & mask);
        return n / (src & mask) > mask;
    }
    s128 n = (s128)(((u128)(rdx & mask) << bits) | (rax & mask));
    if (bits < 64) n = (s128)((int64_t)(((uint64_t)n) << (64 - 2 * bits)) >> (64 - 2 * bits)); /* sign-extend 2*bits */
    else n = (s128)(((u128)rdx << 64) | rax);
    s128 q = n / sx(src, bits);
    s128 lo = -((s128)1 << (bits - 1)), hi = ((s128)1 << (bits - 1)) - 1;
    return q < lo || q > hi;
}

typedef void (*run_fn)(int, int, uint64_t *, uint64_t *, uint64_t, uint64_t *);

int main(void)
{
    static const char *names[2][2] = {{"Mul", "Imul"}, {"Div", "Idiv"}};
    static const int widths[4] = {8, 16, 32, 64};
    static run_fn runs[4] = {run8, run16, run32, run64};
    /* (rax, rdx, src) per width: small values, sign boundaries, all ones, quotients that do or do not fit. */
    static const uint64_t cases[][3] = {
        {7, 0, 6},          {0, 0, 5},         {~0ULL, 0, 2},       {~0ULL, ~0ULL, ~0ULL},
        {0x80, 0, 0xff},    {0x8000, 0, 0xffff}, {0x80000000, 0, 0xffffffff}, {0x8000000000000000, 0, ~0ULL},
        {0x8000000000000000, ~0ULL, ~0ULL}, {0x7f, 0, 0x7f}, {0x1234, 0x5, 0x10}, {100, 0, 7},
        {(uint64_t)-100, ~0ULL, 7}, {(uint64_t)-100, ~0ULL, (uint64_t)-7}, {100, 0, 0}, {5, 5, 3},
    };
    for (int div = 0; div < 2; div++)
        for (int sign = 0; sign < 2; sign++)
            for (int w = 0; w < 4; w++)
                for (unsigned c = 0; c < sizeof cases / sizeof cases[0]; c++) {
                    int bits = widths[w];
                    uint64_t rax = cases[c][0], rdx = cases[c][1], src = cases[c][2], flags = 0;
                    if (bits == 8 && div && c == 10) rax = 0x0ff0; /* ah:al dividend whose quotient overflows */
                    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
                    src &= mask;
                    if (!div && c == 14) continue;                                  /* x * 0: one row is enough */
                    printf("        [InlineData(Code.%s_rm%d, 0x%llxUL, 0x%llxUL, 0x%llxUL, ", names[div][sign], bits,
                           (unsigned long long)rax, (unsigned long long)rdx, (unsigned long long)src);
                    if (div && divide_error(sign, bits, rax, rdx, src)) {
                        printf("0x%llxUL, 0x%llxUL, \"#DE\")]\n", (unsigned long long)rax, (unsigned long long)rdx);
                        continue;
                    }
                    runs[w](sign, div, &rax, &rdx, src, &flags);
                    printf("0x%llxUL, 0x%llxUL, \"%s\")]\n", (unsigned long long)rax, (unsigned long long)rdx,
                           div ? "" : (flags & (CF | OF)) == (CF | OF) ? "CF OF" : (flags & (CF | OF)) ? "??" : "");
                }
    return 0;
}
