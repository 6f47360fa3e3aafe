/* wordfreq.c -- a first-year exercise: the words of a text, counted in a hash table of malloc'd nodes, sorted by
 * count with qsort, printed with their share as a percentage; then the text's line and letter statistics. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *text =
    "It was the best of times, it was the worst of times, it was the age of wisdom, it was the age of\n"
    "foolishness, it was the epoch of belief, it was the epoch of incredulity, it was the season of Light,\n"
    "it was the season of Darkness, it was the spring of hope, it was the winter of despair, we had\n"
    "everything before us, we had nothing before us, we were all going direct to Heaven, we were all\n"
    "going direct the other way - in short, the period was so far like the present period, that some of\n"
    "its noisiest authorities insisted on its being received, for good or for evil, in the superlative\n"
    "degree of comparison only.\n";

typedef struct word {
    char *text;
    int count;
    struct word *next;
} word;

#define BUCKETS 64
static word *table[BUCKETS];
static int distinct;

static unsigned hash(const char *s)
{
    unsigned h = 5381;
    while (*s)
        h = h * 33 + (unsigned char)*s++;
    return h % BUCKETS;
}

static void add(const char *s)
{
    unsigned h = hash(s);
    for (word *w = table[h]; w; w = w->next)
        if (strcmp(w->text, s) == 0) {
            w->count++;
            return;
        }
    word *w = malloc(sizeof *w);
    w->text = strdup(s);
    w->count = 1;
    w->next = table[h];
    table[h] = w;
    distinct++;
}

static int by_count(const void *a, const void *b)
{
    const word *x = *(word *const *)a, *y = *(word *const *)b;
    if (x->count != y->count)
        return y->count - x->count;
    return strcmp(x->text, y->text);
}

int main(void)
{
    char buf[32];
    int len = 0, total = 0, lines = 0, letters = 0, upper = 0;
    for (const char *p = text;; p++) {
        if (isalpha((unsigned char)*p)) {
            letters++;
            upper += isupper((unsigned char)*p) != 0;
            if (len < (int)sizeof buf - 1)
                buf[len++] = (char)tolower((unsigned char)*p);
        } else {
            if (len > 0) {
                buf[len] = 0;
                add(buf);
                total++;
                len = 0;
            }
            lines += *p == '\n';
            if (*p == 0)
                break;
        }
    }
    word **all = calloc((size_t)distinct, sizeof *all);
    int n = 0;
    for (int b = 0; b < BUCKETS; b++)
        for (word *w = table[b]; w; w = w->next)
            all[n++] = w;
    qsort(all, (size_t)n, sizeof *all, by_count);
    printf("%d words, %d distinct, %d lines, %d letters (%.1f%% upper case)\n", total, distinct, lines, letters,
           100.0 * upper / letters);
    for (int i = 0; i < 12; i++)
        printf("%2d. %-12s %3d %6.2f%% %s\n", i + 1, all[i]->text, all[i]->count, 100.0 * all[i]->count / total,
               i < 3 ? "***" : "");
    double mean = (double)total / distinct, var = 0;
    for (int i = 0; i < n; i++)
        var += (all[i]->count - mean) * (all[i]->count - mean);
    printf("mean %.4f, variance %.6e, last \"%s\"\n", mean, var / n, all[n - 1]->text);
    for (int i = 0; i < n; i++) {
        free(all[i]->text);
        free(all[i]);
    }
    free(all);
    return 0;
}
