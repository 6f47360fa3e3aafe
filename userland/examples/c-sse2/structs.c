/* structs.c -- what gcc does with SSE2 besides arithmetic: struct copies and returns, array initializers loaded
 * from .rodata with movdqa/movaps, zeroed locals, memcpy-like loops. Prints checksums. */
#include "out.h"

struct record { long id; double weight; int tags[6]; char name[24]; };

static struct record make(long id, double w)
{
    struct record r = {id, w, {1, 2, 3, 4, 5, 6}, "record"};
    r.name[6] = (char)('0' + id % 10);
    return r;
}

__attribute__((noinline)) static long checksum(const struct record *r)
{
    long s = r->id * 31 + (long)(r->weight * 1000);
    for (int i = 0; i < 6; i++) s = s * 7 + r->tags[i];
    for (int i = 0; i < 24; i++) s = s * 3 + r->name[i];
    return s;
}

int main(int argc, char **argv)
{
    (void)argv;
    struct record table[16];
    for (int i = 0; i < 16; i++) table[i] = make(i + argc, 0.5 * (i + argc));
    struct record copy[16];
    for (int i = 0; i < 16; i++) copy[15 - i] = table[i];
    long s = 0;
    for (int i = 0; i < 16; i++) s += checksum(&copy[i]) * (i + 1);
    out_line("records", s);
    int primes[12] = {2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37};
    int zeros[64] = {0};
    for (int i = 0; i < 12; i++) zeros[primes[i] + argc] = primes[i] * argc;
    long z = 0;
    for (int i = 0; i < 64; i++) z = z * 5 + zeros[i];
    out_line("zeros", z);
    unsigned char src[300], dst[300];
    for (int i = 0; i < 300; i++) src[i] = (unsigned char)(i * 7 + argc);
    for (int i = 0; i < 300; i++) dst[i] = src[299 - i];
    long m = 0;
    for (int i = 0; i < 300; i++) m = m * 31 + dst[i];
    out_line("reversed", m);
    struct record big = table[3];
    big.weight *= 3.0;
    out_line("big", checksum(&big));
    return 0;
}
