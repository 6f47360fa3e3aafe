/*
 * format.c -- the printf family's engine: %[flags][width][.precision][length]conversion, as C99 and glibc define
 * them. Flags - + space # 0; width and precision as numbers or *; lengths hh h l ll z t j; conversions
 * d i u o x X c s p n % and f F e E g G (float.c). glibc's own choices are kept: "(nil)" for a null %p,
 * "(null)" for a null %s (empty when the precision is below 6).
 */
#include <string.h>
#include <stdint.h>
#include "stdio_impl.h"

static void pad(sink *s, char c, int n)
{
    char chunk[16];
    memset(chunk, c, sizeof chunk);
    for (; n > 0; n -= 16) __sink_put(s, chunk, n < 16 ? (size_t)n : 16);
}

/* Writes prefix + zeros + digits padded to width: the layout of every integer conversion. */
static void put_number(sink *s, const char *prefix, const char *digits, int ndigits, int precision, int width, int left, int zero)
{
    int plen = (int)strlen(prefix);
    int zeros = precision > ndigits ? precision - ndigits : 0;
    int total = plen + zeros + ndigits;
    if (zero && !left && precision < 0 && width > total) {
        zeros += width - total;
        total = width;
    }
    if (!left) pad(s, ' ', width - total);
    __sink_put(s, prefix, (size_t)plen);
    pad(s, '0', zeros);
    __sink_put(s, digits, (size_t)ndigits);
    if (left) pad(s, ' ', width - total);
}

int __format(sink *s, const char *fmt, va_list ap)
{
    while (*fmt) {
        if (*fmt != '%') {
            const char *start = fmt;
            while (*fmt && *fmt != '%') fmt++;
            __sink_put(s, start, (size_t)(fmt - start));
            continue;
        }
        fmt++;
        int left = 0, plus = 0, space = 0, alt = 0, zero = 0;
        for (;; fmt++) {
            if (*fmt == '-') left = 1;
            else if (*fmt == '+') plus = 1;
            else if (*fmt == ' ') space = 1;
            else if (*fmt == '#') alt = 1;
            else if (*fmt == '0') zero = 1;
            else break;
        }
        int width = 0;
        if (*fmt == '*') {
            width = va_arg(ap, int);
            if (width < 0) left = 1, width = -width;
            fmt++;
        } else {
            while (*fmt >= '0' && *fmt <= '9') width = width * 10 + (*fmt++ - '0');
        }
        int precision = -1;
        if (*fmt == '.') {
            fmt++;
            precision = 0;
            if (*fmt == '*') {
                precision = va_arg(ap, int);
                if (precision < 0) precision = -1;
                fmt++;
            } else {
                while (*fmt >= '0' && *fmt <= '9') precision = precision * 10 + (*fmt++ - '0');
            }
        }
        int size = 0; /* -2 hh, -1 h, 0 int, 1 long (l, ll, z, t, j) */
        for (;; fmt++) {
            if (*fmt == 'h') size = size == -1 ? -2 : -1;
            else if (*fmt == 'l' || *fmt == 'z' || *fmt == 't' || *fmt == 'j') size = 1;
            else break;
        }
        char spec = *fmt++;
        char digits[32];
        int n = 0;
        switch (spec) {
        case 'd':
        case 'i': {
            long v = size == 1 ? va_arg(ap, long) : va_arg(ap, int);
            if (size == -1) v = (short)v;
            if (size == -2) v = (signed char)v;
            unsigned long u = v < 0 ? 0 - (unsigned long)v : (unsigned long)v;
            char tmp[24];
            while (u) tmp[n++] = (char)('0' + u % 10), u /= 10;
            if (n == 0 && precision != 0) tmp[n++] = '0';
            for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
            put_number(s, v < 0 ? "-" : plus ? "+" : space ? " " : "", digits, n, precision, width, left, zero);
            break;
        }
        case 'u':
        case 'o':
        case 'x':
        case 'X':
        case 'p': {
            unsigned long u;
            if (spec == 'p') u = (uintptr_t)va_arg(ap, void *);
            else u = size == 1 ? va_arg(ap, unsigned long) : va_arg(ap, unsigned int);
            if (size == -1) u = (unsigned short)u;
            if (size == -2) u = (unsigned char)u;
            if (spec == 'p' && u == 0) {
                put_number(s, "", "(nil)", 5, -1, width, left, 0);
                break;
            }
            unsigned base = spec == 'o' ? 8 : spec == 'u' ? 10 : 16;
            const char *alphabet = spec == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
            char tmp[24];
            unsigned long w = u;
            while (w) tmp[n++] = alphabet[w % base], w /= base;
            if (n == 0 && precision != 0) tmp[n++] = '0';
            /* %#o: the first digit must be 0 (raise the precision so it is) */
            if (spec == 'o' && alt && (n == 0 || tmp[n - 1] != '0') && precision <= n) precision = n + 1;
            for (int i = 0; i < n; i++) digits[i] = tmp[n - 1 - i];
            const char *prefix = "";
            if (spec == 'p') prefix = "0x";
            else if (alt && u != 0 && spec == 'x') prefix = "0x";
            else if (alt && u != 0 && spec == 'X') prefix = "0X";
            put_number(s, prefix, digits, n, precision, width, left, zero);
            break;
        }
        case 'c': {
            char c = (char)va_arg(ap, int);
            if (!left) pad(s, ' ', width - 1);
            __sink_put(s, &c, 1);
            if (left) pad(s, ' ', width - 1);
            break;
        }
        case 's': {
            const char *str = va_arg(ap, const char *);
            if (!str) str = precision < 0 || precision >= 6 ? "(null)" : "";
            int len = (int)(precision < 0 ? strlen(str) : strnlen(str, (size_t)precision));
            if (!left) pad(s, ' ', width - len);
            __sink_put(s, str, (size_t)len);
            if (left) pad(s, ' ', width - len);
            break;
        }
        case 'n': {
            if (size == 1) *va_arg(ap, long *) = (long)s->count;
            else *va_arg(ap, int *) = (int)s->count;
            break;
        }
        case 'f':
        case 'F':
        case 'e':
        case 'E':
        case 'g':
        case 'G':
            __format_double(s, va_arg(ap, double), spec, precision, width, left, plus, space, alt, zero);
            break;
        case '%':
            __sink_put(s, "%", 1);
            break;
        default: /* an unknown conversion is printed as it was written */
            __sink_put(s, "%", 1);
            if (spec) __sink_put(s, &spec, 1);
            else fmt--;
            break;
        }
    }
    return (int)s->count;
}
