/* abs.c -- absolute values, and rand: the C standard's own example generator (deterministic, seed 1). */
#include <stdlib.h>

int abs(int v) { return v < 0 ? -v : v; }
long labs(long v) { return v < 0 ? -v : v; }
long long llabs(long long v) { return v < 0 ? -v : v; }

static unsigned long next = 1;
int rand(void)
{
    next = next * 1103515245 + 12345;
    return (int)((next / 65536) % 32768);
}
void srand(unsigned seed) { next = seed; }
