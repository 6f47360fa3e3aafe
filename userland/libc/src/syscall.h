/* syscall.h -- the libc's private view of mk.h: the syscalls without mk.h's own crt0. */
#ifndef LIBC_SYSCALL_H
#define LIBC_SYSCALL_H
#define MK_NO_CRT0
#include "../../include/mk.h"
#endif
