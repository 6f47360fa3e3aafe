/* hello.c: the smallest MicroKernel C program: one write, exit code 0. */
#include "../../include/mk.h"

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    mk_puts("hello from C\n");
    return 0;
}
