/*
 * pageconsumer.c: receives page batches with a C handler. The kernel runs handler() on this process's thread
 * like a signal, with the pages already mapped; it checks the pattern (word i of batch b = b * 1000000 + i),
 * keeps even batches and abandons odd ones. Argument: how many batches to wait for (default 4).
 * Exit code: the number of bad words (0 when every batch arrived intact).
 */
#include <mk.h>
#include <stdio.h>

static volatile long received, bad;

static long handler(long sender, long type, void *addr, long npages, long flags)
{
    (void)sender;
    (void)type;
    (void)flags;
    unsigned long *words = (unsigned long *)addr;
    unsigned long batch = words[0] / 1000000;
    for (long i = 0; i < npages * 512; i++)
        if (words[i] != batch * 1000000 + (unsigned long)i)
            bad++;
    received++;
    /* The handler runs like a signal, at any syscall of main, even inside printf's own write: stdio's buffer is not
     * reentrant, so it formats into a buffer of its own and writes it with one syscall. */
    char line[64];
    int len = snprintf(line, sizeof line, "C consumer: got batch %lu\n", batch);
    mk_write(line, len);
    return batch % 2 == 0 ? MK_HANDLER_ACCEPT : 0;
}

int main(int argc, char **argv)
{
    long expected = 4;
    if (argc > 1 && argv[1][0] >= '0' && argv[1][0] <= '9')
        expected = argv[1][0] - '0';
    if (mk_register_handler(1, handler) != 0)
        return 100;
    while (received < expected)
        mk_pause(0);
    printf("C consumer: batches %ld\n", received);
    return (int)bad;
}
