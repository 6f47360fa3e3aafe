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
#include "../../include/mk.h"

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

static void say(const char *what, long n, const char *after)
{
    char line[120];
    long len = 0;
    for (long i = 0; what[i] && len < 80; i++)
        line[len++] = what[i];
    len += mk_format_long(line + len, n);
    for (long i = 0; after[i] && len < 118; i++)
        line[len++] = after[i];
    line[len++] = '\n';
    mk_write(line, len);
}

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
        mk_puts("usage: kvstore name [fallback]\n");
        return 2;
    }
    const char *name = argv[1];
    if (argc > 2) {
        while ((table.fallback = mk_rpc_lookup(argv[2])) < 0)
            mk_sleep(1);
    }
    long handle = mk_rpc_export(&table, kv_argc, sizeof kv_argc, name);
    if (handle < 0) {
        say("kvstore: rpc_export failed: ", handle, "");
        return 1;
    }
    mk_puts("kvstore: ");
    mk_puts(name);
    say(" exported as handle ", handle, "");
    while (!table.stopping)
        mk_sleep(5);
    mk_rpc_unexport(handle); /* later calls get MK_ENO_OBJECT instead of reaching an exiting process */
    mk_puts("kvstore: ");
    mk_puts(name);
    say(" stopped after ", table.calls, " calls");
    return 0;
}
