/* The sieve of Eratosthenes below LIMIT, ROUNDS times (the program of sieve.c without its printf). No C library: it
 * runs under qemu-x86_64 and under mk exec alike (both.h). Exit status: the number of primes, low 7 bits. */
#include "both.h"

#define LIMIT 1000000
#ifndef SCALE
#define SCALE 1
#endif
#define ROUNDS (20 * SCALE)

static unsigned char composite[LIMIT];

static long sieve(void)
{
    for (long i = 0; i < LIMIT; i++) composite[i] = 0;
    long count = 0;
    for (long i = 2; i < LIMIT; i++) {
        if (composite[i]) continue;
        count++;
        for (long j = i * i; j < LIMIT; j += i) composite[j] = 1;
    }
    return count;
}

void _start(void)
{
    long count = 0;
    for (int r = 0; r < ROUNDS; r++) count = sieve();
    exit_on_both(count & 0x7F);
}
