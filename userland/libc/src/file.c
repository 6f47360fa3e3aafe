/*
 * file.c -- stdout and stderr on the console (the write syscall), and the character and string output calls.
 * The printf family is in printf.c: a program that only uses these does not link the formatting engine.
 */
#include <string.h>
#include "stdio_impl.h"
#include "syscall.h"

static FILE out = { .line_buffered = 1 };
static FILE err = { .unbuffered = 1 };
FILE *stdout = &out;
FILE *stderr = &err;

static void write_all(const char *p, size_t n)
{
    while (n > 0) {
        long w = mk_write(p, (long)n);
        if (w <= 0) return;
        p += w;
        n -= (size_t)w;
    }
}

int fflush(FILE *f)
{
    if (!f) f = stdout;
    write_all(f->buf, f->len);
    f->len = 0;
    return 0;
}

size_t fwrite(const void *p, size_t size, size_t count, FILE *f)
{
    const char *c = p;
    size_t n = size * count;
    if (f->unbuffered) {
        write_all(c, n);
        return count;
    }
    for (size_t i = 0; i < n; i++) {
        if (f->len == sizeof f->buf) fflush(f);
        f->buf[f->len++] = c[i];
        if (c[i] == '\n' && f->line_buffered) fflush(f);
    }
    return count;
}

int fputc(int c, FILE *f)
{
    char ch = (char)c;
    fwrite(&ch, 1, 1, f);
    return (unsigned char)ch;
}

int putc(int c, FILE *f) { return fputc(c, f); }
int putchar(int c) { return fputc(c, stdout); }

int fputs(const char *s, FILE *f)
{
    fwrite(s, 1, strlen(s), f);
    return 0;
}

int puts(const char *s)
{
    fputs(s, stdout);
    fputc('\n', stdout);
    return 0;
}
