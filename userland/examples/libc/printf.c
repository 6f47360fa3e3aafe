/* printf.c -- the printf family on integers, strings, chars and pointers: widths, precisions, flags, snprintf,
 * the v forms; putchar, fputc, putc, puts, fputs, fwrite, fflush. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <limits.h>

/* Each v form, behind a variadic function of this program (as a program's own logging function would be). */
static int say(const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vprintf(format, ap);
    va_end(ap);
    return n;
}

static int say_to(FILE *f, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vfprintf(f, format, ap);
    va_end(ap);
    return n;
}

static int format_into(char *buf, size_t size, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(buf, size, format, ap);
    va_end(ap);
    return n;
}

static int format_all(char *buf, const char *format, ...)
{
    va_list ap;
    va_start(ap, format);
    int n = vsprintf(buf, format, ap);
    va_end(ap);
    return n;
}

int main(void)
{
    printf("[%d] [%i] [%5d] [%-5d] [%05d] [%+d] [% d] [%.3d] [%8.3d] [%-8.3d|]\n", 42, -42, 42, 42, -42, 42, 42, 7, -7, 7);
    printf("[%u] [%x] [%X] [%#x] [%#X] [%o] [%#o] [%#o] [%#x]\n", 3000000000u, 0xbeefu, 0xbeefu, 255u, 255u, 8u, 8u, 0u, 0u);
    printf("[%ld] [%ld] [%lu] [%lx] [%zu] [%lld]\n", LONG_MAX, LONG_MIN, ULONG_MAX, 0x123456789abcdefUL, sizeof(long), -1LL);
    printf("[%hhd] [%hd] [%hhu] [%hu]\n", 300, 70000, 300, 70000);
    printf("[%.0d] [%5.0d] [%#.0o] [%+.0d]\n", 0, 0, 0, 0);
    printf("[%s] [%10s] [%-10s] [%.3s] [%10.2s] [%*s] [%-*s] [%.*s]\n", "hello", "hi", "hi", "truncate", "ab", 4, "x", 4, "y", 2, "zzz");
    printf("[%c] [%3c] [%-3c] [%%]\n", 'A', 'b', 'c');
    printf("[%p] [%p] [%20p] [%-20p|]\n", (void *)0x1234, (void *)0, (void *)0xdeadbeef, (void *)0xdeadbeef);
    char buf[16];
    int n = snprintf(buf, sizeof buf, "%s-%d-%s", "abcdef", 123456, "ghijkl");
    printf("snprintf %d [%s]\n", n, buf);
    n = snprintf(buf, 4, "%d", 123456);
    printf("snprintf %d [%s]\n", n, buf);
    n = snprintf(NULL, 0, "%x", 0xffffu);
    printf("snprintf %d\n", n);
    n = sprintf(buf, "%05d|%-3d|", -12, 5);
    printf("sprintf %d [%s] %zu\n", n, buf, strlen(buf));
    int count = 0;
    printf("abc%n def\n", &count);
    printf("count %d\n", count);
    n = printf("%s\n", "printf returns the count");
    printf("%d\n", n);
    puts("puts adds a newline");
    putchar('p');
    putchar('\n');
    fputs("fputs to stdout\n", stdout);
    fprintf(stdout, "fprintf %d\n", 9);
    n = say("vprintf %s %d %.2f\n", "args", 42, 2.5);
    printf("vprintf returned %d\n", n);
    n = say_to(stdout, "vfprintf %05x\n", 0xabcu);
    printf("vfprintf returned %d\n", n);
    char small[8];
    n = format_into(small, sizeof small, "%s=%d", "truncated", 1234);
    printf("vsnprintf %d [%s]\n", n, small);
    n = format_into(NULL, 0, "%g", 1e-300);
    printf("vsnprintf NULL %d\n", n);
    char big[64];
    n = format_all(big, "%-6s|%6.1e|%c", "vs", 12345.0, 'z');
    printf("vsprintf %d [%s]\n", n, big);
    int x = fputc('x', stdout);
    int y = putc('y', stdout);
    printf(" fputc %d putc %d\n", x, y);
    size_t w = fwrite("fwrite 3 of 4 bytes\n", 5, 4, stdout);
    printf(" -> %zu items\n", w);
    printf("no newline yet...");
    printf("fflush %d\n", fflush(stdout));
    printf("fputs %d, puts %d\n", fputs("", stdout) >= 0, puts("") >= 0);
    return 0;
}
