/* printf.c -- the printf family on integers, strings, chars and pointers: widths, precisions, flags, snprintf. */
#include <stdio.h>
#include <string.h>
#include <limits.h>

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
    return 0;
}
