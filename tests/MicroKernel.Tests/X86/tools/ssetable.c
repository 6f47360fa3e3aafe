/*
 * ssetable.c -- regenerates tests/MicroKernel.Tests/X86/SseTable.txt.gz (gzip: the text is 3 MB), the expected results of SSE and SSE2
 * instructions executed on the host x86-64 processor, for X86SseTableTests.
 *
 * Each instruction form runs between fixed register loads and stores: MXCSR, xmm0 (the destination, "a"),
 * xmm1 (the source, "b") and rax are loaded from a block, the instruction runs, and xmm0, rax, MXCSR and RFLAGS
 * are stored back. The file holds, per form, a line "form NAME BYTES" (the instruction's machine code, as the
 * assembler made it), then one line per case:
 *
 *   MXCSR-IN A-LO A-HI B-LO B-HI RAX : XMM0-LO XMM0-HI RAX MXCSR-OUT RFLAGS      (hex)
 *
 * Inputs cover zeros, normals, denormals, infinities, quiet and signalling NaNs with payloads, values at the
 * integer conversion limits, every rounding mode, FTZ and DAZ, and pre-set sticky flags. All exceptions stay
 * masked (an unmasked one would stop this program with SIGFPE); the #XM cases are tests of their own.
 *
 *   gcc -O1 -o ssetable ssetable.c && ./ssetable | gzip -9n > ../SseTable.txt.gz
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef struct
{
    uint32_t mxcsr_in, pad0[3];
    uint64_t a[2], b[2], rax, pad1, r[2], rax_out;
    uint32_t mxcsr_out, pad2;
    uint64_t rflags;
    uint32_t mxcsr_restore, pad3;
} __attribute__((aligned(16))) block;

#define FORM(id, text)                                                                                         \
    extern const unsigned char id##_start[], id##_end[];                                                       \
    __attribute__((noinline, noclone)) static void id##_run(block *p)                                          \
    {                                                                                                          \
        __asm__ volatile("ldmxcsr 0(%0)\n\tmovdqu 16(%0), %%xmm0\n\tmovdqu 32(%0), %%xmm1\n\tmov 48(%0), %%rax\n" \
                         ".globl " #id "_start\n" #id "_start:\n\t" text "\n.globl " #id "_end\n" #id "_end:\n\t" \
                         "movdqu %%xmm0, 64(%0)\n\tmov %%rax, 80(%0)\n\tstmxcsr 88(%0)\n\tpushfq\n\tpop %%rcx\n\t"  \
                         "mov %%rcx, 96(%0)\n\tldmxcsr 104(%0)"                                               \
                         :                                                                                     \
                         : "r"(p)                                                                              \
                         : "rax", "rcx", "xmm0", "xmm1", "memory", "cc");                                       \
    }

/* Kinds of input: which lanes hold the interesting values. */
enum kind { SD, SS, PD, PS, SD1, SS1, PD1, PS1, INT, DQ, I128, SHIFT };

#include "ssetable_forms.h" /* FORM(...) for each instruction form, and the forms[] table */

static const uint64_t doubles[] = {
    0x0000000000000000, 0x8000000000000000, 0x3ff0000000000000, 0xbff8000000000000, 0x3fb999999999999a,
    0x3fd5555555555555, 0x7fefffffffffffff, 0x0010000000000000, 0x000fffffffffffff, 0x8000000000000001,
    0x7ff0000000000000, 0xfff0000000000000, 0x7ff8000000000123, 0x7ff0000000000456, 0x3ca0000000000000,
    0x3ff0000000000001,
};
/* The subset every non-default MXCSR setting runs with. */
static const uint64_t doubles_small[] = {
    0x3ff0000000000000, 0xbff8000000000000, 0x3fd5555555555555, 0x0010000000000000, 0x000fffffffffffff,
    0x7fefffffffffffff, 0x3ca0000000000000, 0x7ff0000000000456,
};
/* Extra sources for conversions: the integer limits and halfway cases. */
static const uint64_t doubles_convert[] = {
    0x41dfffffffe00000 /* 2^31-0.5 */, 0x41e0000000000000 /* 2^31 */, 0xc1e0000000000000 /* -2^31 */,
    0xc1e0000000200000 /* -2^31-1 */, 0x43e0000000000000 /* 2^63 */, 0xc3e0000000000000 /* -2^63 */,
    0x43dfffffffffffff, 0x4004000000000000 /* 2.5 */, 0xc004000000000000 /* -2.5 */, 0xbfe0000000000000 /* -0.5 */,
    0x3fdfffffffffffff, 0x4202a05f20000000 /* 1e10 */, 0x41efffffffff0000, 0x3ff8000000000000 /* 1.5 */,
    0x47efffffe0000000 /* float max */, 0x47effffff0000000 /* rounds to float inf or max */, 0x3810000000000000,
    0x380fffffffffffff, 0x36a0000000000000 /* float min subnormal */, 0x3690000000000000, 0x3e70000000000000,
};
static const uint32_t singles[] = {
    0x00000000, 0x80000000, 0x3f800000, 0xbfc00000, 0x3dcccccd, 0x3eaaaaab, 0x7f7fffff, 0x00800000, 0x007fffff,
    0x80000001, 0x7f800000, 0xff800000, 0x7fc00123, 0x7f800456, 0x33800000, 0x3f800001,
};
static const uint32_t singles_small[] = {
    0x3f800000, 0xbfc00000, 0x3eaaaaab, 0x00800000, 0x007fffff, 0x7f7fffff, 0x33800000, 0x7f800456,
};
static const uint32_t singles_convert[] = {
    0x4f000000 /* 2^31 */, 0xcf000000 /* -2^31 */, 0xcf000001, 0x4effffff, 0x5f000000 /* 2^63 */,
    0xdf000000 /* -2^63 */, 0x5effffff, 0x40200000 /* 2.5 */, 0xc0200000, 0xbf000000, 0x3effffff, 0x3fc00000,
    0x501502f9 /* 1e10 */,
};
static const uint64_t integers[] = {
    0, 1, (uint64_t)-1, (1ull << 53) + 1, 0x7fffffffffffffff, 0x8000000000000000, 0x7fffffff, 0xffffffff80000000,
    16777217, 123456789, (uint64_t)-987654321123ll, 0x00000000ffffffff, 0x20000001, 0xfffffffffffffffd,
};
static const uint32_t settings[] = {
    0x1f80,          /* default: round to nearest, all masked */
    0x3f80, 0x5f80, 0x7f80, /* down, up, toward zero */
    0x9f80,          /* FTZ */
    0x1fc0,          /* DAZ */
    0xffc0,          /* FTZ + DAZ, toward zero */
    0x1fbf,          /* every flag already set: they are sticky */
};

static uint64_t seed = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

static void emit(const struct form *f, uint32_t mxcsr, uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1, uint64_t rax)
{
    block blk;
    memset(&blk, 0, sizeof blk);
    blk.mxcsr_in = mxcsr;
    blk.a[0] = a0, blk.a[1] = a1, blk.b[0] = b0, blk.b[1] = b1, blk.rax = rax;
    blk.mxcsr_restore = 0x1f80;
    f->run(&blk);
    printf("%x %llx %llx %llx %llx %llx : %llx %llx %llx %x %llx\n", mxcsr, (unsigned long long)a0,
           (unsigned long long)a1, (unsigned long long)b0, (unsigned long long)b1, (unsigned long long)rax,
           (unsigned long long)blk.r[0], (unsigned long long)blk.r[1], (unsigned long long)blk.rax_out,
           blk.mxcsr_out, (unsigned long long)(blk.rflags & 0x8d5));
}

#define N(x) (sizeof(x) / sizeof((x)[0]))
#define UPPER_A 0x1111111122222222ull
#define UPPER_B 0x3333333344444444ull

static void pairs(const struct form *f, uint32_t m, const void *list, size_t n, int single)
{
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < n; j++)
        {
            uint64_t x = single ? ((const uint32_t *)list)[i] : ((const uint64_t *)list)[i];
            uint64_t y = single ? ((const uint32_t *)list)[j] : ((const uint64_t *)list)[j];
            switch (f->kind)
            {
            case SD: emit(f, m, x, UPPER_A, y, UPPER_B, 0); break;
            case SS: emit(f, m, x | UPPER_A << 32, UPPER_A, y | UPPER_B << 32, UPPER_B, 0); break;
            case PD: emit(f, m, x, y, y, x, 0); break;
            case PS: emit(f, m, x | y << 32, y | x << 32, y | y << 32, x | x << 32, 0); break;
            default: break;
            }
        }
}

static void singles_of(const struct form *f, uint32_t m, const void *list, size_t n, int single)
{
    for (size_t i = 0; i < n; i++)
    {
        uint64_t x = single ? ((const uint32_t *)list)[i] : ((const uint64_t *)list)[i];
        uint64_t y = single ? ((const uint32_t *)list)[(i + 5) % n] : ((const uint64_t *)list)[(i + 5) % n];
        switch (f->kind)
        {
        case SD1: emit(f, m, UPPER_A, UPPER_A, x, UPPER_B, 0); break;
        case SS1: emit(f, m, UPPER_A, UPPER_A, x | UPPER_B << 32, UPPER_B, 0); break;
        case PD1: emit(f, m, UPPER_A, UPPER_A, x, y, 0); break;
        case PS1: emit(f, m, UPPER_A, UPPER_A, x | y << 32, y | x << 32, 0); break;
        default: break;
        }
    }
}

int main(void)
{
    for (size_t k = 0; k < N(forms); k++)
    {
        const struct form *f = &forms[k];
        printf("form %s ", f->name);
        for (const unsigned char *b = f->start; b < f->end; b++)
            printf("%02x", *b);
        printf("\n");
        /* min, max and compares do not round: besides the default they run with DAZ only. */
        int rounds = !(strstr(f->name, "min") || strstr(f->name, "max") || strstr(f->name, "cmp") || strstr(f->name, "comi"));
        for (size_t s = 0; s < N(settings); s++)
        {
            uint32_t m = settings[s];
            if (!rounds && s != 0 && m != 0x1fc0)
                continue;
            switch (f->kind)
            {
            case SD: case PD:
                if (s == 0 && f->kind == SD) pairs(f, m, doubles, N(doubles), 0);
                else pairs(f, m, doubles_small, N(doubles_small), 0);
                break;
            case SS: case PS:
                if (s == 0 && f->kind == SS) pairs(f, m, singles, N(singles), 1);
                else pairs(f, m, singles_small, N(singles_small), 1);
                break;
            case SD1: case PD1:
                singles_of(f, m, doubles, N(doubles), 0);
                singles_of(f, m, doubles_convert, N(doubles_convert), 0);
                break;
            case SS1: case PS1:
                singles_of(f, m, singles, N(singles), 1);
                singles_of(f, m, singles_convert, N(singles_convert), 1);
                break;
            case INT:
                for (size_t i = 0; i < N(integers); i++) emit(f, m, UPPER_A, UPPER_B, 0, 0, integers[i]);
                break;
            case DQ:
                for (size_t i = 0; i < N(integers); i++)
                {
                    uint64_t x = integers[i], y = integers[(i + 3) % N(integers)];
                    emit(f, m, UPPER_A, UPPER_A, (uint32_t)x | y << 32, (uint32_t)y | x << 32, 0);
                }
                break;
            case I128:
            case SHIFT:
                if (s != 0) break;
                {
                    static const uint64_t special[] = {0, ~0ull, 0x8000800080008000ull, 0x7fff7fff7fff7fffull,
                                                       0x8080808080808080ull, 0x7f7f7f7f7f7f7f7full,
                                                       0x80000000ffffffffull, 0x00ff00ff00ff00ffull};
                    for (size_t i = 0; i < N(special); i++)
                        emit(f, m, special[i], special[(i + 1) % N(special)], special[(i + 2) % N(special)],
                             special[(i + 5) % N(special)], special[(i + 3) % N(special)]);
                    for (int i = 0; i < 24; i++)
                    {
                        uint64_t a0 = next(), a1 = next(), b0 = next(), b1 = next(), rax = next();
                        if (f->kind == SHIFT)
                        {
                            static const uint64_t counts[] = {0, 1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 63, 64, 65, 1ull << 40};
                            b0 = counts[i % N(counts)];
                        }
                        emit(f, m, a0, a1, b0, b1, rax);
                    }
                }
                break;
            }
        }
    }
    return 0;
}
