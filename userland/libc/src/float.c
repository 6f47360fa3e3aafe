/*
 * float.c -- %f, %e and %g exactly as glibc prints them: correctly rounded.
 * A finite double is m * 2^e2 with an integer m, so its decimal expansion is finite: m * 2^e2 itself when e2 >= 0,
 * and (m * 5^-e2) * 10^e2 when e2 < 0. That integer (at most 767 digits) is computed exactly in base 10^9, so every
 * digit of the value is known and rounding is decided on the exact digits: round half to even, as glibc does in
 * the default rounding mode. Precisions above 1100 are printed as 1100.
 */
#include <stdint.h>
#include <string.h>
#include "stdio_impl.h"

#define MAX_PRECISION 1100

/* The exact decimal digits of a double's magnitude: value = digits * 10^exp10 where exp10 <= 0. */
typedef struct decimal {
    char digits[800];
    int n;          /* number of digits (no leading zeros; "0" for zero) */
    int point;      /* place of the first digit: it is worth 10^point */
} decimal;

static void exact_decimal(uint64_t m, int e2, decimal *d)
{
    uint32_t limb[100];  /* base 10^9, least significant first */
    int nl = 0;
    while (m) limb[nl++] = (uint32_t)(m % 1000000000u), m /= 1000000000u;
    if (nl == 0) {
        d->digits[0] = '0';
        d->n = 1;
        d->point = 0;
        return;
    }
    int k = 0;
    while (e2 != 0) {
        /* multiply by 2^step (e2 > 0) or 5^step (e2 < 0), small enough that limb * factor fits in 64 bits */
        uint32_t factor;
        if (e2 > 0) {
            int step = e2 > 29 ? 29 : e2;
            factor = 1u << step;
            e2 -= step;
        } else {
            int step = -e2 > 13 ? 13 : -e2;
            factor = 1;
            for (int i = 0; i < step; i++) factor *= 5;
            e2 += step;
            k += step;
        }
        uint64_t carry = 0;
        for (int i = 0; i < nl; i++) {
            uint64_t t = (uint64_t)limb[i] * factor + carry;
            limb[i] = (uint32_t)(t % 1000000000u);
            carry = t / 1000000000u;
        }
        while (carry) limb[nl++] = (uint32_t)(carry % 1000000000u), carry /= 1000000000u;
    }
    /* digits, most significant first: the top limb without leading zeros, then 9 digits per limb */
    char top[10];
    int nt = 0;
    for (uint32_t t = limb[nl - 1]; t; t /= 10) top[nt++] = (char)('0' + t % 10);
    d->n = 0;
    while (nt) d->digits[d->n++] = top[--nt];
    for (int i = nl - 2; i >= 0; i--) {
        for (int j = 8; j >= 0; j--) d->digits[d->n + j] = (char)('0' + limb[i] % 10), limb[i] /= 10;
        d->n += 9;
    }
    d->point = d->n - 1 - k;
}

/* The digit worth 10^place, or '0' outside the digits. */
static char digit_at(const decimal *d, int place)
{
    int i = d->point - place;
    return i >= 0 && i < d->n ? d->digits[i] : '0';
}

/* Keeps the first keep digits (keep may be <= 0 or past the end), rounding half to even on the exact digits. */
static void round_to(decimal *d, int keep)
{
    if (keep >= d->n) return;
    int up;
    if (keep < 0) {
        up = 0; /* the first dropped digit is a 0 in front of the number: less than half */
    } else {
        char r = d->digits[keep];
        if (r != '5') up = r > '5';
        else {
            int rest = 0;
            for (int i = keep + 1; i < d->n; i++) rest |= d->digits[i] != '0';
            up = rest || (keep > 0 && (d->digits[keep - 1] - '0') % 2 == 1);
        }
    }
    if (keep <= 0) {
        if (up) { /* the value becomes one unit of the place just above the first kept place */
            d->point = d->point - keep + 1;
            d->digits[0] = '1';
            d->n = 1;
        } else {
            d->n = 0;
        }
        return;
    }
    d->n = keep;
    if (!up) return;
    int i = keep - 1;
    while (i >= 0 && d->digits[i] == '9') d->digits[i--] = '0';
    if (i >= 0) {
        d->digits[i]++;
    } else { /* 99..9 became 100..0: one more place in front */
        d->digits[0] = '1';
        d->point++;
    }
}

typedef struct text {
    char s[MAX_PRECISION + 400];
    int n;
} text;

static void add(text *t, char c) { t->s[t->n++] = c; }

/* %f body: the digits rounded to precision places after the point. */
static void fixed(text *t, decimal *d, int precision, int alt)
{
    round_to(d, d->point + 1 + precision);
    if (d->n == 0) d->point = -1;
    if (d->point < 0) add(t, '0');
    for (int place = d->point; place >= 0; place--) add(t, digit_at(d, place));
    if (precision > 0 || alt) add(t, '.');
    for (int place = -1; place >= -precision; place--) add(t, digit_at(d, place));
}

/* %e body: one digit, the point, precision digits, then e+XX. */
static void scientific(text *t, decimal *d, int precision, int alt, char e, int is_zero)
{
    round_to(d, precision + 1);
    int x = is_zero ? 0 : d->point;
    add(t, d->digits[0]);
    if (precision > 0 || alt) add(t, '.');
    for (int i = 1; i <= precision; i++) add(t, i < d->n ? d->digits[i] : '0');
    add(t, e);
    add(t, x < 0 ? '-' : '+');
    int ax = x < 0 ? -x : x;
    if (ax >= 100) add(t, (char)('0' + ax / 100));
    add(t, (char)('0' + ax / 10 % 10));
    add(t, (char)('0' + ax % 10));
}

void __format_double(sink *s, double v, char spec, int precision, int width, int left, int plus, int space, int alt, int zero)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int negative = (int)(bits >> 63);
    int biased = (int)(bits >> 52 & 0x7ff);
    uint64_t m = bits & ((1ull << 52) - 1);
    int upper = spec == 'F' || spec == 'E' || spec == 'G';
    char lower = (char)(upper ? spec - 'A' + 'a' : spec);
    static text t; /* large: kept off the stack (one program thread prints at a time in these examples) */
    t.n = 0;
    const char *sign = negative ? "-" : plus ? "+" : space ? " " : "";

    if (biased == 0x7ff) { /* inf and nan: no zero padding */
        const char *word = m ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
        for (int i = 0; i < 3; i++) add(&t, word[i]);
        zero = 0;
    } else {
        int e2 = biased ? biased - 1075 : -1074;
        if (biased) m |= 1ull << 52;
        while (m && (m & 1) == 0 && e2 < 0) m >>= 1, e2++;
        static decimal d;
        exact_decimal(m, e2, &d);
        if (precision < 0) precision = 6;
        if (precision > MAX_PRECISION) precision = MAX_PRECISION;
        char e = upper ? 'E' : 'e';
        if (lower == 'f') {
            fixed(&t, &d, precision, alt);
        } else if (lower == 'e') {
            scientific(&t, &d, precision, alt, e, m == 0);
        } else {
            int p = precision == 0 ? 1 : precision;
            decimal r = d;
            round_to(&r, p);
            int x = m == 0 ? 0 : r.point;
            if (x < p && x >= -4) fixed(&t, &d, p - 1 - x, alt);
            else if (alt && m != 0 && d.point < p && d.point >= -4) scientific(&t, &d, 0, alt, e, 0); /* glibc: %#g of 999999.5 is "1.e+06" */
            else scientific(&t, &d, p - 1, alt, e, m == 0);
            if (!alt) { /* %g drops trailing zeros of the fraction, and the point when nothing is left */
                int end = t.n, epos = t.n;
                for (int i = 0; i < t.n; i++)
                    if (t.s[i] == e) epos = i;
                int has_point = 0;
                for (int i = 0; i < epos; i++) has_point |= t.s[i] == '.';
                if (has_point) {
                    int j = epos;
                    while (t.s[j - 1] == '0') j--;
                    if (t.s[j - 1] == '.') j--;
                    memmove(t.s + j, t.s + epos, (size_t)(end - epos));
                    t.n = j + (end - epos);
                }
            }
        }
    }
    int slen = (int)strlen(sign);
    int total = slen + t.n;
    char chunk[1] = { ' ' };
    if (!left && !(zero && width > total))
        for (int i = total; i < width; i++) __sink_put(s, chunk, 1);
    __sink_put(s, sign, (size_t)slen);
    if (!left && zero)
        for (int i = total; i < width; i++) __sink_put(s, "0", 1);
    __sink_put(s, t.s, (size_t)t.n);
    if (left)
        for (int i = total; i < width; i++) __sink_put(s, chunk, 1);
}
