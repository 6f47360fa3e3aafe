/* strdup.c -- a copy of a string in malloc'd memory (apart from string.c: it links malloc). */
#include <string.h>
#include <stdlib.h>

char *strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}
