/*
 * sieve.c: counts the primes below N with the sieve of Eratosthenes and prints the count.
 * A compute loop for measuring the CPU: byte stores, compares, branches, a multiply.
 * An optional first argument overrides N (decimal, 2..1000000).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_N 100000
#define MAX_N 1000000

static unsigned char composite[MAX_N];

int main(int argc, char **argv)
{
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : DEFAULT_N;
    if (n < 2 || n > MAX_N)
        n = DEFAULT_N;
    memset(composite, 0, (size_t)n);
    long count = 0;
    for (long i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    printf("primes below %ld: %ld\n", n, count);
    return 0;
}
