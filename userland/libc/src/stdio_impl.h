/* stdio_impl.h -- what a FILE is, and the sink the printf family formats into. */
#ifndef LIBC_STDIO_IMPL_H
#define LIBC_STDIO_IMPL_H
#include <stdio.h>
#include <stdarg.h>

struct FILE {
    int line_buffered;   /* stdout: written at each '\n'; stderr: unbuffered (len stays 0) */
    int unbuffered;
    size_t len;
    char buf[1024];
};

/* Where formatted text goes: a FILE, or a string of size bytes (the rest is counted, not stored). */
typedef struct sink {
    FILE *file;
    char *str;
    size_t size;
    size_t count;        /* characters produced so far (what printf returns) */
} sink;

void __sink_put(sink *s, const char *p, size_t n);
int __format(sink *s, const char *fmt, va_list ap);
/* Appends the %f/%e/%g conversion of v (spec is 'f','e','g' or upper case) with the given flags. */
void __format_double(sink *s, double v, char spec, int precision, int width, int left, int plus, int space, int alt, int zero);
#endif
