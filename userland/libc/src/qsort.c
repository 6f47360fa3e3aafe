/*
 * qsort.c -- sorting and binary search. qsort is a heapsort: O(n log n) in the worst case and no recursion,
 * at the price of not being stable (C does not ask qsort to be).
 */
#include <stdlib.h>

static void swap(char *a, char *b, size_t size)
{
    while (size--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Moves element i down the heap of n elements until both children are not greater. */
static void sift_down(char *base, size_t i, size_t n, size_t size, int (*compare)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n) return;
        if (child + 1 < n && compare(base + child * size, base + (child + 1) * size) < 0) child++;
        if (compare(base + i * size, base + child * size) >= 0) return;
        swap(base + i * size, base + child * size, size);
        i = child;
    }
}

void qsort(void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    char *b = base;
    if (count < 2) return;
    for (size_t i = count / 2; i-- > 0;) sift_down(b, i, count, size, compare);
    for (size_t n = count - 1; n > 0; n--) {
        swap(b, b + n * size, size);
        sift_down(b, 0, n, size, compare);
    }
}

void *bsearch(const void *key, const void *base, size_t count, size_t size, int (*compare)(const void *, const void *))
{
    const char *b = base;
    while (count > 0) {
        const char *mid = b + (count / 2) * size;
        int c = compare(key, mid);
        if (c == 0) return (void *)mid;
        if (c > 0) {
            b = mid + size;
            count -= count / 2 + 1;
        } else {
            count /= 2;
        }
    }
    return NULL;
}
