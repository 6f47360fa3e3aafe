/*
 * errors.c: errno holds the kernel's errors, and the C library's ways of ending a program (docs/x86.md, "The C
 * library and mk-gcc").
 *   errors          errno from the kernel: a refused map, unmap and wait, malloc when the kernel's memory runs out;
 *                   strerror of every kernel error (its ErrorCode name), perror's line; rand's sequence.
 *                   Exit status = the number of the first failed check, 0 when all pass.
 *   errors assert   a failed assert: glibc's message on stderr, then abort (status 134)
 *   errors abort    abort: stdout is flushed, then the process ends with status 134
 *   errors _Exit    _Exit(7): ends at once, running no atexit handler and leaving stdout's buffer unwritten
 */
#include <assert.h>
#include <errno.h>
#include <mk.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(n, cond) do { if (!(cond)) { printf("errors: check %d failed (errno %d)\n", n, errno); return n; } } while (0)

/* mk.h's calls return -code on error; this sets errno to +code and returns -1, as a POSIX wrapper does. */
static long sys(long result)
{
    if (result < 0) {
        errno = (int)-result;
        return -1;
    }
    return result;
}

static void not_run(void) { printf("an atexit handler ran (wrong)\n"); }

static int ending(const char *how)
{
    if (strcmp(how, "assert") == 0) {
        int frames = 2;
        printf("asserting that %d frames are more than 2\n", frames);
        assert(frames > 2);
        return 0;
    }
    if (strcmp(how, "abort") == 0) {
        printf("buffered without a newline, then abort: ");
        abort();
    }
    if (strcmp(how, "_Exit") == 0) {
        atexit(not_run);
        printf("a whole line\nand half a line that _Exit drops");
        _Exit(7);
    }
    printf("usage: errors [assert|abort|_Exit]\n");
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1)
        return ending(argv[1]);

    errno = 0;
    CHECK(1, sys(mk_map(0, 0, MK_PROT_READ)) == -1 && errno == EINVAL);          /* length 0 */
    CHECK(2, sys(mk_unmap((void *)0x10001, 4096)) == -1 && errno == EMISALIGNED);
    CHECK(3, sys(mk_wait(99, 0)) == -1 && errno == EBADHANDLE);
    long page = sys(mk_map(0, 4096, MK_PROT_READ | MK_PROT_WRITE));
    CHECK(4, page > 0 && sys(mk_unmap((void *)page, 4096)) == 0 && sys(mk_unmap((void *)page, 4096)) == -1 && errno == ENOT_MAPPED);
    printf("map, unmap, wait: %s, %s, %s\n", strerror(EINVAL), strerror(EMISALIGNED), strerror(EBADHANDLE));

    /* malloc asks the kernel for memory with map; when the kernel has none left, errno is the kernel's OutOfMemory. */
    errno = 0;
    void *huge = malloc((size_t)1 << 40);
    CHECK(5, huge == NULL && errno == ENOMEM);
    printf("malloc(1 TiB): NULL, errno %d (%s)\n", errno, strerror(errno));
    void *small = malloc(100);
    CHECK(6, small != NULL); /* the failure left the heap usable */
    free(small);

    errno = ENO_OBJECT;
    perror("rpc_call");      /* stderr: "rpc_call: NoSuchObject" */
    errno = ERANGE;
    perror(NULL);

    /* Every kernel error by number, as kernel/Syscalls/ErrorCode.cs names it (the test compares the two). */
    for (int e = 0; e <= 50; e++)
        if (strcmp(strerror(e), "Unknown error") != 0)
            printf("%d %s\n", e, strerror(e));
    printf("%d %s\n", 1000, strerror(1000));

    int first[4];
    srand(1);
    for (int i = 0; i < 4; i++)
        first[i] = rand();
    srand(1);
    CHECK(7, rand() == first[0]);
    printf("rand after srand(1): %d %d %d %d, RAND_MAX %d\n", first[0], first[1], first[2], first[3], RAND_MAX);
    printf("errors: ok\n");
    return 0;
}
