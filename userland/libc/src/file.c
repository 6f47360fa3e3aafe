/* file.c -- stdout and stderr on the console (the write syscall), and the character and string output calls. */
#include <string.h>
#include <errno.h>
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

void perror(const char *s)
{
    fflush(stdout);
    if (s && *s) fprintf(stderr, "%s: %s\n", s, strerror(errno));
    else fprintf(stderr, "%s\n", strerror(errno));
}

/* A sink stores into its FILE, or into its string while there is room (keeping one byte for the NUL). */
void __sink_put(sink *s, const char *p, size_t n)
{
    if (s->file) {
        fwrite(p, 1, n, s->file);
    } else {
        for (size_t i = 0; i < n; i++)
            if (s->count + i + 1 < s->size) s->str[s->count + i] = p[i];
    }
    s->count += n;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    sink s = { .file = f };
    return __format(&s, fmt, ap);
}

int vprintf(const char *fmt, va_list ap) { return vfprintf(stdout, fmt, ap); }

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
    sink s = { .str = buf, .size = size };
    int n = __format(&s, fmt, ap);
    if (size > 0) buf[s.count < size ? s.count : size - 1] = 0;
    return n;
}

int vsprintf(char *buf, const char *fmt, va_list ap) { return vsnprintf(buf, (size_t)-1 / 2, fmt, ap); }

int printf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(stdout, fmt, ap);
    va_end(ap);
    return n;
}

int fprintf(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vfprintf(f, fmt, ap);
    va_end(ap);
    return n;
}

int sprintf(char *buf, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsprintf(buf, fmt, ap);
    va_end(ap);
    return n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n;
}
