/*
 * pageproducer.c: moves batches of 2 pages to a consumer process with send() (page-granular IPC).
 * Arguments: consumer pid (default 1), batch count (default 4). Word i of batch b holds b * 1000000 + i, the
 * pattern the C# pipe-consumer and pageconsumer.c check. After a move the pages are gone from this process:
 * each batch maps fresh ones. MK_SEND_BLOCK waits while the consumer's queue is full.
 */
#include <mk.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long consumer = argc > 1 ? atol(argv[1]) : 1;
    long batches = argc > 2 ? atol(argv[2]) : 4;
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
            printf("C producer: send failed with %ld\n", r);
            return 2;
        }
        printf("C producer: moved batch %ld\n", b);
    }
    return 0;
}
