/* notify.c: notifications from C (docs/notifications.md): counting, polling, wait_any, locks and errors.
 * Exits with the number of the first check that failed, 0 when all pass. */
#include <mk.h>
#include <stdio.h>

#define CHECK(n, cond) do { if (!(cond)) { printf("notify: check %d failed\n", n); return n; } } while (0)

int main(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    long a = mk_notify_create("c/a");           /* public */
    long b = mk_notify_create(0);               /* private */
    CHECK(1, a > 0 && b > 0 && a != b);
    CHECK(2, mk_notify_create("c/a") == MK_ENAME_TAKEN);
    long a2 = mk_notify_open("c/a");            /* a second handle to the same object */
    CHECK(3, a2 > 0);
    CHECK(4, mk_notify(a2, 2) == 0);            /* nobody waits: counted */
    CHECK(5, mk_wait(a, 0) == 0 && mk_wait(a, 0) == 0);
    CHECK(6, mk_wait(a, 0) == MK_EWOULDBLOCK);
    CHECK(7, mk_wait(a, 3) == MK_ETIMEDOUT);
    long set[2] = { a, b };
    mk_notify(b, 1);
    CHECK(8, mk_wait_any(set, 2, MK_FOREVER) == 1);
    long lock = mk_syscall3(MK_SYS_NOTIFY_CREATE, 0, 0, MK_NOTIFY_LOCK);
    CHECK(9, mk_wait(lock, 0) == 0 && mk_wait(lock, 0) == MK_EPERM);
    CHECK(10, mk_notify(lock, 1) == 0 && mk_wait(lock, 0) == 0);
    CHECK(11, mk_notify(99, 1) == MK_EBADHANDLE);
    CHECK(12, mk_notify_close(a) == 0 && mk_notify(a2, 1) == MK_ECLOSED);
    CHECK(13, mk_notify_close(a2) == 0 && mk_notify_close(a2) == MK_EBADHANDLE);
    CHECK(14, mk_notify_open("c/a") == MK_ENO_NAME);
    printf("notify: ok\n");
    return 0;
}
