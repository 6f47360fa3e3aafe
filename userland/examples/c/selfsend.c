/*
 * selfsend.c: one process sends a page to itself. It registers a handler for message type 1, maps a page, writes a
 * word into it, moves the page to itself (MK_SEND_TO_SELF) and pauses until the handler has run; the kernel runs the
 * handler on this same thread, like a signal, with the page mapped at a new address. A single program is enough
 * for a page-send delivery, so `mk exec selfsend --fault "delay nth=1 ticks=K"` holds it back K ticks
 * (docs/faults.md, delay). Prints the ticks from the send to the handler.
 * Exit code: 0 when the handler saw the word; 1 when it saw another; 100+ when a syscall failed.
 */
#include <mk.h>
#include <stdio.h>

#define WORD 0x5e1f5e4dUL

static volatile long handled, seen, handled_at;

static long handler(long sender, long type, void *addr, long npages, long flags)
{
    (void)sender;
    (void)type;
    (void)npages;
    (void)flags;
    seen = (long)((unsigned long *)addr)[0];
    handled_at = mk_time();
    handled = 1;
    return MK_HANDLER_ACCEPT;
}

int main(void)
{
    if (mk_register_handler(1, handler) != 0)
        return 100;
    long addr = mk_map(0, 4096, MK_PROT_READ | MK_PROT_WRITE);
    if (addr < 0)
        return 101;
    ((unsigned long *)addr)[0] = WORD;
    long sent_at = mk_time();
    if (mk_send(0, 1, (void *)addr, 1, MK_SEND_TO_SELF) != 1)
        return 102;
    while (!handled)
        mk_pause(0);
    printf("selfsend: handler ran %ld ticks after the send\n", handled_at - sent_at);
    return seen == (long)WORD ? 0 : 1;
}
