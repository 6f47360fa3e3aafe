/*
 * pageconsumer.c: receives page batches with a C handler. The kernel runs handler() on this process's thread
 * like a signal, with the pages already mapped; it checks the pattern (word i of batch b = b * 1000000 + i),
 * keeps even batches and abandons odd ones. Argument: how many batches to wait for (default 4).
 * Exit code: the number of bad words (0 when every batch arrived intact).
 */
#include "../../include/mk.h"

static volatile long received, bad;

static void say(const char *what, long n)
{
    char line[80];
    long len = 0;
    while (what[len]) {
        line[len] = what[len];
        len++;
    }
    len += mk_format_long(line + len, n);
    line[len++] = '\n';
    mk_write(line, len);
}

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
    say("C consumer: got batch ", (long)batch);
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
    say("C consumer: batches ", received);
    return (int)bad;
}
