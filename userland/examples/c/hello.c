/* hello.c: the smallest MicroKernel C program: one line on the console, exit code 0. */
#include <stdio.h>

int main(void)
{
    printf("hello from C\n");
    return 0;
}
