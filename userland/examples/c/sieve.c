/*
 * sieve.c: counts the primes below N with the sieve of Eratosthenes and prints the count.
 * A compute loop for measuring the CPU: byte stores, compares, branches, a multiply.
 * An optional first argument overrides N (decimal).
 */
#include "../../include/mk.h"

#define DEFAULT_N 100000
#define MAX_N 1000000

static unsigned char composite[MAX_N];

static long parse(const char *s)
{
    long v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}

int main(int argc, char **argv)
{
    long n = argc > 1 ? parse(argv[1]) : DEFAULT_N;
    if (n < 2 || n > MAX_N)
        n = DEFAULT_N;
    for (long i = 0; i < n; i++)
        composite[i] = 0;
    long count = 0;
    for (long i = 2; i < n; i++) {
        if (composite[i])
            continue;
        count++;
        for (long j = i * i; j < n; j += i)
            composite[j] = 1;
    }
    char line[64];
    const char *prefix = "primes below ";
    long len = 0;
    while (prefix[len]) {
        line[len] = prefix[len];
        len++;
    }
    len += mk_format_long(line + len, n);
    line[len++] = ':';
    line[len++] = ' ';
    len += mk_format_long(line + len, count);
    line[len++] = '\n';
    mk_write(line, len);
    return 0;
}
