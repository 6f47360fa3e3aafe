/*
 * out.h -- integer output for programs built two ways: for the simulator (mk.h: _start, syscalls, no C library)
 * and natively against glibc (-DNATIVE), so the tests can compare what the two print. Doubles are printed as
 * their bits and as scaled integers: exact, and the same on both sides without printf's %f.
 */
#ifndef OUT_H
#define OUT_H

#ifdef NATIVE
#include <unistd.h>
static void out_write(const char *s, long n) { (void)!write(1, s, (size_t)n); }
#else
#include "../../include/mk.h"
static void out_write(const char *s, long n) { mk_write(s, n); }
#endif

static void out_str(const char *s)
{
    long n = 0;
    while (s[n]) n++;
    out_write(s, n);
}

static void out_long(long v)
{
    char buf[24];
    int i = sizeof buf;
    unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
    do buf[--i] = (char)('0' + u % 10); while ((u /= 10) != 0);
    if (v < 0) buf[--i] = '-';
    out_write(buf + i, (long)sizeof buf - i);
}

static void out_hex(unsigned long v)
{
    char buf[18];
    buf[0] = '0', buf[1] = 'x';
    for (int i = 0; i < 16; i++) buf[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 15];
    out_write(buf, 18);
}

/* "label value\n" */
static void out_line(const char *label, long v)
{
    out_str(label);
    out_str(" ");
    out_long(v);
    out_str("\n");
}

static void out_bits(const char *label, double d)
{
    union { double d; unsigned long u; } x = {d};
    out_str(label);
    out_str(" ");
    out_hex(x.u);
    out_str("\n");
}

static void out_fbits(const char *label, float f)
{
    union { float f; unsigned int u; } x = {f};
    out_str(label);
    out_str(" ");
    out_hex(x.u);
    out_str("\n");
}

#endif
