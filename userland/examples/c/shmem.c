/*
 * shmem.c: owned shared memory from C (docs/shmem.md), the seed's UsesShmem protocol. One program, three roles:
 *   shmem parent PID   make a segment, give it to the child PID (HereYouGo), answer its GiveAndGetBack call,
 *                      take it back at ThanksDone. Works with the C# child (shmem-child) or this program's child.
 *   shmem child        wait for HereYouGo, lend the segment back (GiveAndGetBack), return it (ThanksDone), then
 *                      write through the pointer it kept: a use after send, which faults (the report names the
 *                      segment and its owner).
 *   shmem              alone: checks the error paths a lone process can reach; exit code 0 when all hold.
 */
#include <mk.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HERE_YOU_GO        1
#define GIVE_AND_GET_BACK  2
#define THANKS_DONE        3
#define SIZE               10000

static volatile long given_segment, thanked;
static char *volatile given_addr;
static char final_text[64];

/*
 * printf for this program and its handler: the kernel runs a segment handler like a signal, at any syscall of main,
 * even inside printf's own write, and stdio's buffer is not reentrant. So every line is formatted into a buffer of
 * its own (vsnprintf is reentrant) and written with one syscall.
 */
static void say(const char *format, ...)
{
    char line[160];
    va_list ap;
    va_start(ap, format);
    int len = vsnprintf(line, sizeof line, format, ap);
    va_end(ap);
    mk_write(line, len < (int)sizeof line ? len : (int)sizeof line - 1);
}

/* "shmem-ready-PID": the public notification the child creates once its handler is bound (as the C# pair does). */
static void ready_name(char *name, size_t size, long pid)
{
    snprintf(name, size, "shmem-ready-%ld", pid);
}

static long parent_handler(long segment, long type, void *addr, long size, long from)
{
    (void)segment;
    (void)size;
    if (type == GIVE_AND_GET_BACK) {
        say("C parent: GiveAndGetBack from pid %ld: '%.60s'\n", MK_SHM_FROM(from), (char *)addr);
        strcpy(addr, "the parent had it back");
        return 42;
    }
    if (type == THANKS_DONE) {
        strncpy(final_text, addr, sizeof final_text - 1);
        thanked = 1;
    }
    return 0;
}

static int parent(long child)
{
    char name[32];
    ready_name(name, sizeof name, child);
    if (mk_shm_handler(parent_handler) != 0)
        return 10;
    long ready;
    while ((ready = mk_notify_open(name)) < 0)
        mk_sleep(1);
    mk_wait(ready, MK_FOREVER);
    long conn = mk_shm_connect(child);
    long segment = mk_shm_create(conn, SIZE, 0);
    if (segment < 0)
        return 11;
    char *addr = (char *)mk_shm_address(segment);
    strcpy(addr, "hello from the parent");
    say("C parent: segment %ld, sent to the child (HereYouGo)\n", segment);
    if (mk_shm_send(segment, HERE_YOU_GO) != 0)
        return 12;
    /* C has no get(): the kernel refuses a second send, the segment is not this process's any more. */
    long again = mk_shm_send(segment, HERE_YOU_GO);
    if (again == MK_EALREADY_SENT)
        say("C parent: a second send is refused: AlreadySent (the segment is in flight)\n");
    else if (again == MK_ENOT_OWNER)
        say("C parent: a second send is refused: NotOwner (the child has it)\n");
    else
        return 13;
    while (!thanked)
        mk_pause(0);
    say("C parent: ThanksDone, the segment says '%.60s'\n", final_text);
    mk_sleep(20); /* the child tries its stale pointer while the segment still exists */
    return 0;
}

static long child_handler(long segment, long type, void *addr, long size, long from)
{
    (void)size;
    (void)from;
    if (type == HERE_YOU_GO) {
        given_addr = addr;
        given_segment = segment;
    }
    return 0;
}

static int child(void)
{
    char name[32];
    ready_name(name, sizeof name, mk_getpid());
    if (mk_shm_handler(child_handler) != 0)
        return 20;
    mk_notify(mk_notify_create(name), 1);
    while (!given_segment)
        mk_pause(0);
    char *addr = given_addr;
    say("C child: HereYouGo: segment %ld says '%.60s'\n", given_segment, addr);
    strcpy(addr, "the child was here");
    long reply = mk_shm_call(given_segment, GIVE_AND_GET_BACK);
    say("C child: GiveAndGetBack returned %ld; the segment says '%.60s'\n", reply, addr);
    strcpy(addr, "thanks from the child");
    if (mk_shm_send(given_segment, THANKS_DONE) != 0)
        return 21;
    say("C child: ThanksDone sent; writing through the pointer it kept (use after send)\n");
    *(volatile long *)addr = 1;
    say("C child: the write went through (wrong)\n");
    return 1;
}

#define CHECK(n, cond) do { if (!(cond)) { say("shmem: check %d failed\n", n); return n; } } while (0)

static int alone(void)
{
    CHECK(1, mk_shm_connect(mk_getpid()) == MK_EINVAL);
    CHECK(2, mk_shm_connect(99) == MK_ESRCH);
    CHECK(3, mk_shm_create(5, 4096, 0) == MK_ENO_CONNECTION);
    CHECK(4, mk_shm_address(1) == MK_ENO_SEGMENT);
    CHECK(5, mk_shm_send(1, 1) == MK_ENO_SEGMENT);
    CHECK(6, mk_shm_close(1) == MK_ENO_CONNECTION);
    CHECK(7, mk_shm_handler(parent_handler) == 0 && mk_shm_handler(0) == 0);
    say("shmem: the error paths hold\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 2 && argv[1][0] == 'p') {
        return parent(atol(argv[2]));
    }
    if (argc > 1 && argv[1][0] == 'c')
        return child();
    return alone();
}
