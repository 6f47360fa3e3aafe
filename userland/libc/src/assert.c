/* assert.c -- the message of a failed assert, in glibc's words, then abort. */
#include <assert.h>
#include <stdio.h>
#include <stdlib.h>

extern const char *__progname; /* set by crt0 */

void __assert_fail(const char *expr, const char *file, unsigned line, const char *func)
{
    fflush(stdout);
    fprintf(stderr, "%s: %s:%u: %s: Assertion `%s' failed.\n", __progname, file, line, func, expr);
    abort();
}
