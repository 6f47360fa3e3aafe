/* errno.c -- the one errno (one per process: the simulated programs' threads share it). */
#include <errno.h>
int errno;
