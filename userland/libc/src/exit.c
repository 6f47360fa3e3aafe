/* exit.c -- ending the process: atexit handlers (last registered first), flush stdout, the exit syscall. */
#include <stdlib.h>
#include <stdio.h>
#include "syscall.h"

#define ATEXIT_MAX 32
static void (*handlers[ATEXIT_MAX])(void);
static int nhandlers;

int atexit(void (*fn)(void))
{
    if (nhandlers == ATEXIT_MAX)
        return -1;
    handlers[nhandlers++] = fn;
    return 0;
}

void exit(int status)
{
    while (nhandlers > 0)
        handlers[--nhandlers]();
    fflush(stdout);
    mk_exit(status);
}

void _Exit(int status) { mk_exit(status); }

/* abort: glibc ends the process with SIGABRT (status 134 in a shell); here the exit status is 134 too. */
void abort(void)
{
    fflush(stdout);
    mk_exit(134);
}
