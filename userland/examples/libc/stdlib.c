/* stdlib.c -- malloc/free/calloc/realloc, strtol/atoi, qsort/bsearch, abs, errno, atexit and exit's status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <limits.h>

static int by_value(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void goodbye(void) { printf("atexit handler ran\n"); }

int main(int argc, char **argv)
{
    printf("argc %d argv0 set %d argv[argc] %s\n", argc, argv[0] != NULL, argv[argc] == NULL ? "NULL" : "?");
    /* malloc: distinct, aligned, writable blocks; reuse after free; large blocks */
    char *blocks[50];
    for (int i = 0; i < 50; i++) {
        blocks[i] = malloc((size_t)(i * 37 + 1));
        memset(blocks[i], 'a' + i % 26, (size_t)(i * 37 + 1));
    }
    int ok = 1;
    for (int i = 0; i < 50; i++) {
        ok &= ((unsigned long)blocks[i] % 16) == 0;
        for (int j = 0; j < i * 37 + 1; j++) ok &= blocks[i][j] == 'a' + i % 26;
    }
    printf("50 blocks aligned and intact: %d\n", ok);
    for (int i = 0; i < 50; i += 2) free(blocks[i]);
    for (int i = 1; i < 50; i += 2) free(blocks[i]);
    char *big = malloc(1 << 20);
    memset(big, 7, 1 << 20);
    printf("1 MiB block: %d %d\n", big[0], big[(1 << 20) - 1]);
    free(big);
    int *zeros = calloc(1000, sizeof(int));
    int sum = 0;
    for (int i = 0; i < 1000; i++) sum += zeros[i];
    printf("calloc sum %d\n", sum);
    int *grown = malloc(4 * sizeof(int));
    for (int i = 0; i < 4; i++) grown[i] = i * i;
    grown = realloc(grown, 10000 * sizeof(int));
    printf("realloc keeps %d %d %d %d\n", grown[0], grown[1], grown[2], grown[3]);
    free(grown);
    free(zeros);
    free(NULL);
    errno = 0;
    void *huge = malloc((size_t)1 << 62);
    printf("malloc(2^62) %s errno set %d\n", huge == NULL ? "NULL" : "?", errno != 0);
    void *empty = malloc(0);
    printf("malloc(0) %s\n", empty != NULL ? "a unique pointer" : "NULL");
    free(empty);
    char *shrunk = malloc(64);
    strcpy(shrunk, "kept when shrinking");
    shrunk = realloc(shrunk, 8);
    shrunk[7] = 0;
    char *fresh = realloc(NULL, 16);
    strcpy(fresh, "new");
    printf("realloc smaller [%s], realloc(NULL) [%s]\n", shrunk, fresh);
    free(shrunk);
    free(fresh);
    printf("calloc overflow %s\n", calloc((size_t)1 << 62, 16) == NULL ? "NULL" : "?");
    char *copy = strdup("duplicate");
    printf("strdup %s\n", copy);
    free(copy);

    /* strtol and friends */
    const char *inputs[] = { "42", "  -17xyz", "+0x1F", "0777", "z", "9223372036854775807", "9223372036854775808",
                             "-9223372036854775809", "  12 34", "-0", "0x", "1010" };
    for (unsigned i = 0; i < sizeof inputs / sizeof inputs[0]; i++) {
        char *end;
        errno = 0;
        long v = strtol(inputs[i], &end, 0);
        printf("strtol(\"%s\", 0) = %ld, rest \"%s\", range error %d\n", inputs[i], v, end, errno == ERANGE);
    }
    char *end;
    printf("base 2 %ld, base 36 %ld, strtoul %lu\n", strtol("1010", &end, 2), strtol("zz", &end, 36), strtoul("4294967296", &end, 10));
    errno = 0;
    printf("strtoll %lld %lld range %d\n", strtoll("-9223372036854775808", &end, 10), strtoll("0x7fffffffffffffff", &end, 16), errno == ERANGE);
    errno = 0;
    unsigned long long u = strtoull("18446744073709551615", &end, 10);
    printf("strtoull %llu range %d", u, errno == ERANGE);
    u = strtoull("18446744073709551616", &end, 10);
    printf(", %llu range %d", u, errno == ERANGE);
    errno = 0;
    printf(", negated %llu range %d\n", strtoull("-1", &end, 10), errno == ERANGE);
    printf("atoi %d %d %d, atol %ld\n", atoi("123"), atoi(" -45abc"), atoi("abc"), atol("-9876543210"));
    printf("abs %d %d, labs %ld, llabs %lld\n", abs(-5), abs(5), labs(-1234567890123L), llabs(-3LL));

    /* qsort and bsearch */
    int numbers[] = { 5, -3, 99, 0, 42, 7, -100, 42, 8, 1, 13, 2 };
    size_t count = sizeof numbers / sizeof numbers[0];
    qsort(numbers, count, sizeof numbers[0], by_value);
    for (size_t i = 0; i < count; i++) printf("%d%c", numbers[i], i + 1 < count ? ' ' : '\n');
    int key = 13;
    int *found = bsearch(&key, numbers, count, sizeof numbers[0], by_value);
    key = 14;
    printf("bsearch 13 at %ld, 14 %s\n", found ? (long)(found - numbers) : -1L, bsearch(&key, numbers, count, sizeof numbers[0], by_value) ? "found" : "missing");
    const char *names[] = { "pear", "apple", "fig", "banana", "cherry" };
    qsort(names, 5, sizeof names[0], by_name);
    printf("%s %s %s %s %s\n", names[0], names[1], names[2], names[3], names[4]);
    qsort(numbers, 0, sizeof numbers[0], by_value);
    atexit(goodbye);
    printf("exit(3) next\n");
    exit(3);
}
