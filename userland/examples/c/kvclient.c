/*
 * kvclient.c: a C client of the C service kvstore.c (run by sim/scenarios/c-rpc.scn). It calls "kv" (whose
 * misses fall back to "defaults"), reads values into a SHARED buffer, then, once key 999 says the other clients are
 * done, makes the service fault (a NULL buffer), waits for its supervisor to restart it, finds it empty, and
 * stops both services.
 * Usage: kvclient [name [fallback]]   (default "kv" and "defaults").
 * Exit code: 0 when every check passed, 10 when a service never appeared, else the number of the first failed check.
 */
#include <mk.h>
#include <stdio.h>
#include <stdlib.h>

enum { PUT, GET, GET_MANY, STOP };

/* The service's handle, once it is exported; gives up (exit 10) after 100 ticks without it. */
static long wait_for(const char *name)
{
    long h;
    for (long tries = 0; (h = mk_rpc_lookup(name)) < 0; tries++) {
        if (tries == 100) {
            printf("kvclient: no service named %s\n", name);
            exit(10);
        }
        mk_sleep(1);
    }
    return h;
}

int main(int argc, char **argv)
{
    long kv = wait_for(argc > 1 ? argv[1] : "kv");
    long defaults = wait_for(argc > 2 ? argv[2] : "defaults");

    for (long k = 100; k < 104; k++)
        if (mk_rpc_call(kv, PUT, 2, k, k * 7, 0, 0) != 0)
            return 1;
    if (mk_rpc_call(kv, PUT, 2, 100, 1, 0, 0) != 700) /* put returns the previous value */
        return 2;
    if (mk_rpc_call(kv, GET, 1, 101, 0, 0, 0) != 707)
        return 3;
    /* A key only "defaults" has: kv's get asks it from inside the call (depth 2). */
    mk_rpc_call(defaults, PUT, 2, 150, 42, 0, 0);
    long nested = mk_rpc_call(kv, GET, 1, 150, 0, 0, 0);
    printf("C client: nested get 150 = %ld\n", nested);
    if (nested != 42)
        return 4;

    /* The service writes into this SHARED buffer during the call, and can reach it only then. */
    long *keys = (long *)mk_rpc_shared(4096);
    if ((long)keys < 0)
        return 5;
    for (long i = 0; i < 4; i++)
        keys[i] = 100 + i;
    if (mk_rpc_call(kv, GET_MANY, 2, (long)keys, 4, 0, 0) != 4 || keys[0] != 1 || keys[3] != 721)
        return 6;
    printf("C client: get_many read %ld\n", keys[0] + keys[1] + keys[2] + keys[3]);
    /* Wait until the C# client is done (it puts 999 = 1), then break the service. */
    while (mk_rpc_call(kv, GET, 1, 999, 0, 0, 0) != 1)
        mk_sleep(2);
    long r = mk_rpc_call(kv, GET_MANY, 2, 0, 1, 0, 0); /* NULL: the service reads address 0 and faults */
    printf("C client: get_many of NULL = %ld\n", r);
    if (r != MK_EPEER_FAULTED)
        return 7;
    while ((r = mk_rpc_call(kv, GET, 1, 100, 0, 0, 0)) == MK_ERESTARTING)
        mk_sleep(1);
    printf("C client: after the restart, get 100 = %ld\n", r);
    if (r != 0) /* a restarted service starts with fresh memory */
        return 8;
    if (mk_rpc_call(kv, STOP, 0, 0, 0, 0, 0) != 0 || mk_rpc_call(defaults, STOP, 0, 0, 0, 0, 0) != 0)
        return 9;
    printf("C client: all checks passed\n");
    return 0;
}
