/* printf.c -- the printf family (format.c does the formatting) and perror, over file.c's FILE. */
#include <string.h>
#include <errno.h>
#include "stdio_impl.h"

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
