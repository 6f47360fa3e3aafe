/*
 * rand.c -- the C standard's own example generator (C11 7.22.2.2), not glibc's: deterministic, seed 1 until srand.
 * srand(1) then rand() gives 16838, 5758, 10113, 17515, ...
 */
#include <stdlib.h>

static unsigned long next = 1;
int rand(void)
{
    next = next * 1103515245 + 12345;
    return (int)((next / 65536) % 32768);
}
void srand(unsigned seed) { next = seed; }
