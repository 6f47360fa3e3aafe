/* Ends a program that runs unchanged under Linux (qemu-x86_64) and under MicroKernel (mk exec): the same bytes on
 * both, so the two run exactly the same instructions. Linux's exit is syscall 60; MicroKernel has no syscall 60 and
 * returns an error (docs/syscalls.md), so the program goes on to MicroKernel's exit, syscall 0 (mk.h MK_SYS_EXIT). */
#ifndef BOTH_H
#define BOTH_H

static inline __attribute__((noreturn)) void exit_on_both(long code)
{
    __asm__ volatile("syscall" : : "a"(60L), "D"(code) : "rcx", "r11", "memory"); /* Linux: exit(code) */
    __asm__ volatile("syscall" : : "a"(0L), "D"(code) : "rcx", "r11", "memory");  /* MicroKernel: exit(code) */
    for (;;) { }
}

#endif
