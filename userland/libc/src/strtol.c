/* strtol.c -- text to integers: strtol and friends, atoi, atol. Out of range: the limit and errno = ERANGE. */
#include <stdlib.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>

static int digit_value(int c)
{
    if (isdigit(c)) return c - '0';
    if (islower(c)) return c - 'a' + 10;
    if (isupper(c)) return c - 'A' + 10;
    return 99;
}

/*
 * The common part: skips spaces, reads a sign and the digits of base (0: 0x.. hex, 0.. octal, else decimal).
 * Returns the magnitude (saturated at ULONG_MAX with *overflow set); *negative tells the sign.
 */
static unsigned long parse(const char *s, char **end, int base, int *negative, int *overflow)
{
    const char *p = s;
    *negative = 0;
    *overflow = 0;
    while (isspace((unsigned char)*p)) p++;
    if (*p == '+' || *p == '-') *negative = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') && digit_value((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    if (base < 2 || base > 36) {
        errno = EINVAL;
        if (end) *end = (char *)s;
        return 0;
    }
    unsigned long value = 0;
    const char *first = p;
    for (int d; (d = digit_value((unsigned char)*p)) < base; p++) {
        if (value > (ULONG_MAX - (unsigned long)d) / (unsigned long)base) *overflow = 1;
        else value = value * (unsigned long)base + (unsigned long)d;
    }
    if (end) *end = (char *)(p == first ? s : p);
    return *overflow ? ULONG_MAX : value;
}

long strtol(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long v = parse(s, end, base, &negative, &overflow);
    if (negative) {
        if (overflow || v > (unsigned long)LONG_MAX + 1) {
            errno = ERANGE;
            return LONG_MIN;
        }
        return (long)(0 - v);
    }
    if (overflow || v > LONG_MAX) {
        errno = ERANGE;
        return LONG_MAX;
    }
    return (long)v;
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int negative, overflow;
    unsigned long v = parse(s, end, base, &negative, &overflow);
    if (overflow) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return negative ? 0 - v : v;
}

long long strtoll(const char *s, char **end, int base) { return strtol(s, end, base); }
unsigned long long strtoull(const char *s, char **end, int base) { return strtoul(s, end, base); }
int atoi(const char *s) { return (int)strtol(s, NULL, 10); }
long atol(const char *s) { return strtol(s, NULL, 10); }
