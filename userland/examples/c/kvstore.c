/*
 * kvstore.c: an RPC service written in C (docs/rpc.md, "x86 services"): a small key-value table that other
 * processes, C# or C, call into with rpc_call. The table is this process's memory; a method runs on the caller's
 * thread, which sees it through the call's grant, with the caller's SHARED buffers and nothing else of the caller.
 *
 * Usage: kvstore name [fallback]     exports the table as `name`; with a fallback, a get that misses asks the
 *                                    fallback service's get, a nested call from inside the method. Without a
 *                                    name it prints this usage and exits 2.
 * Methods (index: arguments -> result):
 *   0 put(key, value)   -> the previous value (0 if none); MK_ELIMIT when the table is full
 *   1 get(key)          -> the value; a miss asks the fallback (if any), else 0
 *   2 get_many(keys, n) -> replaces each of the n keys in the caller's SHARED buffer `keys` by its value; returns n.
 *                          A NULL buffer faults this service (a read at address 0): the caller gets
 *                          MK_EPEER_FAULTED, and a supervisor (fault=restart) starts the service again, empty.
 *   3 stop()            -> main returns (exit 0) soon after the call
 */
#include <mk.h>
#include <stdio.h>

/*
 * This service prints with fputs, not printf: without the printf engine its code fits in one page, and an ARMv7-M
 * MPU (docs/memory.md) can hold each of its segments in a region (a power of two long, aligned to its size), so the
 * tests run it under every protection model.
 */
static void say(const char *a, long n, const char *b)
{
    char number[21];
    number[mk_format_long(number, n)] = 0;
    fputs(a, stdout);
    fputs(number, stdout);
    fputs(b, stdout);
}

#define SLOTS 64

typedef struct kv {
    const mk_method_t *vtable; /* first, as in every service object */
    long fallback;             /* the fallback service's handle, or 0 */
    long stopping;             /* set by stop(); main polls it */
    long calls;
    long used;
    long keys[SLOTS];
    long values[SLOTS];
} kv_t;

static long find(kv_t *self, long key)
{
    for (long i = 0; i < self->used; i++)
        if (self->keys[i] == key)
            return i;
    return -1;
}

static long kv_put(kv_t *self, long key, long value)
{
    self->calls++;
    long i = find(self, key);
    if (i < 0) {
        if (self->used == SLOTS)
            return MK_ELIMIT;
        i = self->used++;
        self->keys[i] = key;
        self->values[i] = 0;
    }
    long previous = self->values[i];
    self->values[i] = value;
    return previous;
}

static long kv_get(kv_t *self, long key)
{
    self->calls++;
    long i = find(self, key);
    if (i >= 0)
        return self->values[i];
    /* A nested call: this thread now acts for this service and calls the fallback on its behalf. */
    return self->fallback > 0 ? mk_rpc_call(self->fallback, 1, 1, key, 0, 0, 0) : 0;
}

static long kv_get_many(kv_t *self, long *keys, long n)
{
    self->calls++;
    for (long k = 0; k < n; k++) {
        long i = find(self, keys[k]); /* keys is the caller's SHARED buffer, granted for this call only */
        keys[k] = i >= 0 ? self->values[i] : 0;
    }
    return n;
}

static long kv_stop(kv_t *self)
{
    self->calls++;
    self->stopping = 1;
    return 0;
}

static const mk_method_t kv_vtable[] = {MK_METHOD(kv_put), MK_METHOD(kv_get), MK_METHOD(kv_get_many), MK_METHOD(kv_stop)};
static const unsigned char kv_argc[] = {2, 1, 2, 0};
static kv_t table = {kv_vtable, 0, 0, 0, 0, {0}, {0}};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fputs("usage: kvstore name [fallback]\n", stdout);
        return 2;
    }
    const char *name = argv[1];
    if (argc > 2) {
        while ((table.fallback = mk_rpc_lookup(argv[2])) < 0)
            mk_sleep(1);
    }
    long handle = mk_rpc_export(&table, kv_argc, sizeof kv_argc, name);
    if (handle < 0) {
        say("kvstore: rpc_export failed: ", handle, "\n");
        return 1;
    }
    fputs("kvstore: ", stdout);
    fputs(name, stdout);
    say(" exported as handle ", handle, "\n");
    while (!table.stopping)
        mk_sleep(5);
    mk_rpc_unexport(handle); /* later calls get MK_ENO_OBJECT instead of reaching an exiting process */
    fputs("kvstore: ", stdout);
    fputs(name, stdout);
    say(" stopped after ", table.calls, " calls\n");
    return 0;
}
