/*
 * malloc.c -- a first-fit allocator over the kernel's map syscall (the textbook K&R design).
 * Every block starts with a 16-byte header holding its size (header included, a multiple of 16), so the payload is
 * 16-byte aligned as movaps needs. Free blocks sit on one list sorted by address; free merges a block with free
 * neighbours that touch it. When no free block fits, the heap grows by mapping at least 64 KiB of fresh pages.
 * Memory is never given back to the kernel.
 */
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include "syscall.h"

typedef struct block {
    size_t size;          /* bytes, header included */
    struct block *next;   /* the next free block by address (free blocks only) */
} block;

#define HEADER 16
#define GROW (64 * 1024)
#define PAGE 4096

static block *free_list;

/* Puts b on the free list in address order and merges it with the blocks just before and after it. */
static void insert_free(block *b)
{
    block *prev = NULL, *cur = free_list;
    while (cur && cur < b) prev = cur, cur = cur->next;
    b->next = cur;
    if (cur && (char *)b + b->size == (char *)cur) {
        b->size += cur->size;
        b->next = cur->next;
    }
    if (prev && (char *)prev + prev->size == (char *)b) {
        prev->size += b->size;
        prev->next = b->next;
    } else if (prev) {
        prev->next = b;
    } else {
        free_list = b;
    }
}

/* Maps at least need bytes of fresh memory onto the free list; 0 on success, -1 (errno set) if map failed. */
static int grow(size_t need)
{
    size_t len = need < GROW ? GROW : (need + PAGE - 1) / PAGE * PAGE;
    long addr = mk_map(0, (long)len, MK_PROT_READ | MK_PROT_WRITE);
    if (addr < 0) {
        errno = (int)-addr;
        return -1;
    }
    block *b = (block *)addr;
    b->size = len;
    insert_free(b);
    return 0;
}

void *malloc(size_t n)
{
    if (n > ((size_t)1 << 46)) {
        errno = ENOMEM;
        return NULL;
    }
    size_t need = (n + HEADER + 15) / 16 * 16;
    for (;;) {
        block *prev = NULL;
        for (block *b = free_list; b; prev = b, b = b->next) {
            if (b->size < need) continue;
            if (b->size - need >= 2 * HEADER) { /* split: the tail stays free */
                block *rest = (block *)((char *)b + need);
                rest->size = b->size - need;
                rest->next = b->next;
                b->size = need;
                b->next = rest;
            }
            if (prev) prev->next = b->next;
            else free_list = b->next;
            return (char *)b + HEADER;
        }
        if (grow(need) != 0) return NULL;
    }
}

void free(void *p)
{
    if (p) insert_free((block *)((char *)p - HEADER));
}

void *calloc(size_t count, size_t size)
{
    if (size && count > (size_t)-1 / size) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(count * size);
    return p ? memset(p, 0, count * size) : NULL;
}

void *realloc(void *p, size_t size)
{
    if (!p) return malloc(size);
    size_t old = ((block *)((char *)p - HEADER))->size - HEADER;
    if (size <= old) return p;
    void *q = malloc(size);
    if (!q) return NULL;
    memcpy(q, p, old);
    free(p);
    return q;
}
