/*
 * fault.c: writes through a NULL pointer. Page 0 is never mapped, so the store faults
 * (NotPresent on write at 0x0) and the kernel applies the process's fault policy; exit is never reached.
 */
#include "../../include/mk.h"

int main(int argc, char **argv)
{
    (void)argv;
    mk_puts("about to write through NULL\n");
    volatile long *p = (volatile long *)0;
    p[argc - 1] = 42; /* argc - 1 is 0, but the compiler cannot prove it and drop the store */
    mk_puts("not reached\n");
    return 1;
}
