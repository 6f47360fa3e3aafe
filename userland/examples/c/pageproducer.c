/*
 * pageproducer.c: moves batches of 2 pages to a consumer process with send() (page-granular IPC).
 * Arguments: consumer pid (default 1), batch count (default 4). Word i of batch b holds b * 1000000 + i, the
 * pattern the C# pipe-consumer and pageconsumer.c check. After a move the pages are gone from this process:
 * each batch maps fresh ones. MK_SEND_BLOCK waits while the consumer's queue is full.
 */
#include "../../include/mk.h"

static long parse(const char *s, long fallback)
{
    long v = 0;
    if (!s || *s < '0' || *s > '9')
        return fallback;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}

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

int main(int argc, char **argv)
{
    long consumer = parse(argc > 1 ? argv[1] : 0, 1);
    long batches = parse(argc > 2 ? argv[2] : 0, 4);
    mk_sleep(2); /* let the consumer register its handler */
    for (long b = 0; b < batches; b++) {
        long addr = mk_map(0, 2 * 4096, MK_PROT_READ | MK_PROT_WRITE);
        if (addr < 0)
            return 1;
        unsigned long *words = (unsigned long *)addr;
        for (long i = 0; i < 2 * 512; i++)
            words[i] = (unsigned long)(b * 1000000 + i);
        long r = mk_send(consumer, 1, (void *)addr, 2, MK_SEND_BLOCK);
        if (r != 1) {
            say("C producer: send failed with ", r);
            return 2;
        }
        say("C producer: moved batch ", b);
    }
    return 0;
}
