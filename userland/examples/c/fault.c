/*
 * fault.c: writes through a NULL pointer. Page 0 is never mapped, so the store faults
 * (NotPresent on write at 0x0) and the kernel applies the process's fault policy; exit is never reached.
 */
#include <stdio.h>

int main(int argc, char **argv)
{
    (void)argv;
    printf("about to write through NULL\n"); /* stdout is written at each newline: before the fault */
    volatile long *p = (volatile long *)0;
    p[argc - 1] = 42; /* argc - 1 is 0, but the compiler cannot prove it and drop the store */
    printf("not reached\n");
    return 1;
}
