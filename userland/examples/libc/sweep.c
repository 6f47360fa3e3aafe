/* sweep.c -- 400 doubles (random bit patterns: NaNs, subnormals, huge and tiny; fractions; halves) in 17 formats. */
#include <stdio.h>
#include <string.h>
static unsigned long s = 88172645463325252UL;
static unsigned long nx(void) { s ^= s << 13; s ^= s >> 7; s ^= s << 17; return s; }
int main(void) {
    const char *f[] = {"%f","%.0f","%.3f","%e","%.0e","%.12e","%g","%.1g","%.15g","%.17g","%#g","%#.3g","%#.0e","%.25f","%G","%10.4g","%-+12.3e|"};
    for (int i = 0; i < 400; i++) {
        unsigned long b = nx();
        double d;
        if (i % 3 == 0) { memcpy(&d, &b, 8); }
        else if (i % 3 == 1) { d = (double)(long)(b % 2000000) / (double)(1 + nx() % 10000); }
        else { d = (double)(b % 100000) * 0.5 / 1000.0; }
        for (unsigned j = 0; j < sizeof f / sizeof *f; j++) { printf(f[j], d); putchar(' '); }
        putchar('\n');
    }
    return 0;
}
