/*
 * crt0.c -- the program's entry point. The kernel starts a process at _start with the SysV initial stack
 * (sim/X86/InitialStack.cs): [rsp] = argc, then argv[0..argc-1], NULL, envp..., NULL. _start hands rsp to
 * __libc_start, which calls main and passes its result to exit (which flushes stdout and runs atexit handlers).
 */
#include <stdlib.h>

int main(int argc, char **argv, char **envp);
char **environ;
const char *__progname = ""; /* argv[0] without its folders, as glibc keeps it: assert's message starts with it */

__attribute__((used, noreturn)) void __libc_start(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    environ = argv + argc + 1;
    if (argc > 0 && argv[0]) {
        __progname = argv[0];
        for (const char *p = argv[0]; *p; p++)
            if (*p == '/') __progname = p + 1;
    }
    exit(main(argc, argv, environ));
}

/* Clear the frame pointer (the end of backtraces), pass rsp, align the stack to 16 bytes for the call. */
__asm__(".text\n"
        ".global _start\n"
        ".type _start, @function\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call __libc_start\n"
        "    hlt\n");
