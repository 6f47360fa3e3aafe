/*
 * flagtable.c -- regenerates the rows of X86FlagTable.cs by executing each instruction on the host x86-64
 * processor and printing the result and RFLAGS. Flags that the Intel SDM leaves undefined for a case are
 * listed in the row's "undefined" column and not compared (processors differ there).
 *
 *   gcc -O1 -mno-red-zone -o flagtable flagtable.c && ./flagtable > rows.txt
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define CF 0x1
#define PF 0x4
#define AF 0x10
#define ZF 0x40
#define SF 0x80
#define OF 0x800
#define STATUS (CF | PF | AF | ZF | SF | OF)

typedef void (*op_fn)(uint64_t a, uint64_t b, uint64_t fin, uint64_t *r, uint64_t *fout);

/* dst = dst OP src, with RFLAGS loaded from fin first. */
#define BIN(name, insn, type, cons)                                                                   \
    static void name(uint64_t a, uint64_t b, uint64_t fin, uint64_t *r, uint64_t *fout)               \
    {                                                                                                 \
        type x = (type)a, y = (type)b;                                                                \
        uint64_t f;                                                                                   \
        __asm__ volatile("push %[fin]\n\tpopfq\n\t" insn " %[y], %[x]\n\tpushfq\n\tpop %[f]"             \
                         : [x] "+" cons(x), [f] "=&r"(f) : [y] cons(y), [fin] "r"(fin) : "cc", "memory"); \
        *r = (uint64_t)x;                                                                             \
        *fout = f;                                                                                    \
    }
/* dst = OP dst. */
#define UN(name, insn, type, cons)                                                                    \
    static void name(uint64_t a, uint64_t b, uint64_t fin, uint64_t *r, uint64_t *fout)               \
    {                                                                                                 \
        (void)b;                                                                                      \
        type x = (type)a;                                                                             \
        uint64_t f;                                                                                   \
        __asm__ volatile("push %[fin]\n\tpopfq\n\t" insn " %[x]\n\tpushfq\n\tpop %[f]"                   \
                         : [x] "+" cons(x), [f] "=&r"(f) : [fin] "r"(fin) : "cc", "memory");          \
        *r = (uint64_t)x;                                                                             \
        *fout = f;                                                                                    \
    }
/* dst = dst SHIFT cl. */
#define SH(name, insn, type, cons)                                                                    \
    static void name(uint64_t a, uint64_t b, uint64_t fin, uint64_t *r, uint64_t *fout)               \
    {                                                                                                 \
        type x = (type)a;                                                                             \
        uint8_t c = (uint8_t)b;                                                                       \
        uint64_t f;                                                                                   \
        __asm__ volatile("push %[fin]\n\tpopfq\n\t" insn " %%cl, %[x]\n\tpushfq\n\tpop %[f]"             \
                         : [x] "+" cons(x), [f] "=&r"(f) : "c"(c), [fin] "r"(fin) : "cc", "memory");  \
        *r = (uint64_t)x;                                                                             \
        *fout = f;                                                                                    \
    }

#define ALL_SIZES(M, name, insn) M(name##8, insn, uint8_t, "q") M(name##16, insn, uint16_t, "r") \
    M(name##32, insn, uint32_t, "r") M(name##64, insn, uint64_t, "r")

ALL_SIZES(BIN, add, "add") ALL_SIZES(BIN, adc, "adc") ALL_SIZES(BIN, sub, "sub") ALL_SIZES(BIN, sbb, "sbb")
ALL_SIZES(BIN, and, "and") ALL_SIZES(BIN, or, "or") ALL_SIZES(BIN, xor, "xor")
ALL_SIZES(BIN, cmp, "cmp") ALL_SIZES(BIN, test, "test")
ALL_SIZES(UN, inc, "inc") ALL_SIZES(UN, dec, "dec") ALL_SIZES(UN, neg, "neg") ALL_SIZES(UN, not, "not")
ALL_SIZES(SH, shl, "shl") ALL_SIZES(SH, shr, "shr") ALL_SIZES(SH, sar, "sar")
ALL_SIZES(SH, rol, "rol") ALL_SIZES(SH, ror, "ror") ALL_SIZES(SH, rcl, "rcl") ALL_SIZES(SH, rcr, "rcr")
/* imul r, r/m (two operands; bytes have no such form) */
BIN(imul16, "imul", uint16_t, "r") BIN(imul32, "imul", uint32_t, "r") BIN(imul64, "imul", uint64_t, "r")

static const char *flagnames(uint64_t f, char *buf)
{
    static const struct { uint64_t bit; const char *name; } names[] = {
        {CF, "CF"}, {PF, "PF"}, {AF, "AF"}, {ZF, "ZF"}, {SF, "SF"}, {OF, "OF"}};
    buf[0] = 0;
    char *p = buf;
    for (int i = 0; i < 6; i++)
        if (f & names[i].bit)
            p += sprintf(p, "%s%s", p == buf ? "" : " ", names[i].name);
    return buf;
}

/* Which status flags the SDM leaves undefined for this case. */
static uint64_t undefined_flags(const char *op, int bits, uint64_t count)
{
    int masked = (int)(count & (bits == 64 ? 63 : 31));
    if (op[0] == 'a' && op[1] == 'n') return AF; /* and */
    if (op[0] == 'o' || op[0] == 'x' || op[0] == 't') return AF; /* or, xor, test */
    if (op[0] == 's' && (op[1] == 'h' || op[1] == 'a')) /* shl, shr, sar */
        return masked == 0 ? 0 : (masked == 1 ? AF : AF | OF) | (masked >= bits && op[1] == 'h' ? CF : 0);
    if (op[0] == 'r') /* rol, ror, rcl, rcr: only CF and OF are touched */
        return masked > 1 ? OF : 0;
    if (op[0] == 'i' && op[1] == 'm') return SF | ZF | AF | PF; /* imul */
    return 0;
}

enum kind { BINARY, UNARY, SHIFT, IMUL };

struct op {
    const char *name;
    enum kind kind;
    op_fn fn[4]; /* 8, 16, 32, 64 bits */
};

#define FNS(n) {n##8, n##16, n##32, n##64}
static const struct op ops[] = {
    {"Add", BINARY, FNS(add)}, {"Adc", BINARY, FNS(adc)}, {"Sub", BINARY, FNS(sub)}, {"Sbb", BINARY, FNS(sbb)},
    {"Cmp", BINARY, FNS(cmp)}, {"And", BINARY, FNS(and)}, {"Or", BINARY, FNS(or)}, {"Xor", BINARY, FNS(xor)},
    {"Test", BINARY, FNS(test)}, {"Inc", UNARY, FNS(inc)}, {"Dec", UNARY, FNS(dec)}, {"Neg", UNARY, FNS(neg)},
    {"Not", UNARY, FNS(not)}, {"Shl", SHIFT, FNS(shl)}, {"Shr", SHIFT, FNS(shr)}, {"Sar", SHIFT, FNS(sar)},
    {"Rol", SHIFT, FNS(rol)}, {"Ror", SHIFT, FNS(ror)}, {"Rcl", SHIFT, FNS(rcl)}, {"Rcr", SHIFT, FNS(rcr)},
    {"Imul", IMUL, {0, imul16, imul32, imul64}},
};

/* Interesting operands for a width: zero, one, all ones, the sign boundary, a nibble carry, a pattern. */
static int operands(int bits, uint64_t *v)
{
    uint64_t max = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    uint64_t sign = 1ULL << (bits - 1);
    int n = 0;
    v[n++] = 0; v[n++] = 1; v[n++] = max; v[n++] = sign - 1; v[n++] = sign; v[n++] = 0x0f;
    v[n++] = 0x5a5a5a5a5a5a5a5aULL & max;
    return n;
}

static void row(const struct op *op, int bits, uint64_t a, uint64_t b, uint64_t fin)
{
    uint64_t r, f;
    op->fn[bits == 8 ? 0 : bits == 16 ? 1 : bits == 32 ? 2 : 3](a, b, fin | 0x202, &r, &f);
    uint64_t undef = undefined_flags(op->name[0] == 'I' ? "imul" : op->name[0] == 'A' && op->name[1] == 'n' ? "and"
        : op->name[0] == 'O' ? "or" : op->name[0] == 'X' ? "xor" : op->name[0] == 'T' ? "test"
        : op->name[0] == 'S' && op->name[1] != 'u' && op->name[1] != 'b' ? (op->name[1] == 'h' ? "sh" : "sa")
        : op->name[0] == 'R' ? "r" : "-", bits, b);
    char code[48], fi[40], fo[40], fu[40];
    switch (op->kind) {
    case BINARY: snprintf(code, sizeof code, "%s_rm%d_r%d", op->name, bits, bits); break;
    case UNARY: snprintf(code, sizeof code, "%s_rm%d", op->name, bits); break;
    case SHIFT: snprintf(code, sizeof code, "%s_rm%d_CL", op->name, bits); break;
    case IMUL: snprintf(code, sizeof code, "Imul_r%d_rm%d", bits, bits); break;
    }
    uint64_t mask = bits == 64 ? ~0ULL : (1ULL << bits) - 1;
    /* A result that is undefined (shl/shr by more than the width on 8/16 bits) is not compared either. */
    printf("        [InlineData(Code.%s, 0x%llxUL, 0x%llxUL, \"%s\", 0x%llxUL, \"%s\", \"%s\")]\n", code,
           (unsigned long long)a, (unsigned long long)b, flagnames(fin & STATUS, fi), (unsigned long long)(r & mask),
           flagnames(f & STATUS & ~undef, fo), flagnames(undef, fu));
}

int main(void)
{
    static const int widths[] = {8, 16, 32, 64};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++) {
        const struct op *op = &ops[o];
        for (int w = 0; w < 4; w++) {
            int bits = widths[w];
            if (!op->fn[w])
                continue;
            uint64_t v[8];
            int n = operands(bits, v);
            if (op->kind == BINARY || op->kind == IMUL) {
                for (int i = 0; i < n; i++)
                    for (int j = 0; j < n; j += 4) {
                        row(op, bits, v[i], v[(i + j + 1) % n], 0);
                        if (op->name[1] == 'd' || op->name[1] == 'b') /* adc, sbb: also with CF in */
                            row(op, bits, v[i], v[(i + j + 1) % n], CF);
                    }
            } else if (op->kind == UNARY) {
                for (int i = 0; i < n; i++) {
                    row(op, bits, v[i], 0, CF | ZF); /* inc/dec must keep CF; not keeps all */
                }
            } else {
                static const uint64_t counts[] = {0, 1, 2, 8, 9, 16, 17, 31, 32, 33, 63, 64};
                uint64_t vals[2] = {v[4] | 1, v[6]};
                for (int i = 0; i < 2; i++)
                    for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
                        if (counts[c] > 2 * (uint64_t)bits + 1)
                            continue;
                        row(op, bits, vals[i], counts[c], c % 2 ? CF : OF | ZF);
                    }
            }
        }
    }
    return 0;
}
