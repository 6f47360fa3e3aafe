/*
 * mk.h -- the MicroKernel system-call interface for C programs run by the simulated x86-64 CPU.
 *
 * Build a program with:
 *   gcc -static -nostdlib -fno-pie -no-pie -mgeneral-regs-only -O2 -I userland/include -o prog prog.c
 *
 * ABI (the same for C# and x86 programs): syscall number in rax; arguments in rdi, rsi, rdx, r10, r8, r9;
 * the result comes back in rax, a negative result is an MK_E* error code. The `syscall` instruction itself
 * overwrites rcx (return address) and r11 (saved RFLAGS).
 *
 * Start-up: this header provides _start (a tiny crt0) that reads argc and argv from the initial stack,
 * calls `int main(int argc, char **argv)` and passes its result to mk_exit. Include mk.h in exactly one
 * file with the crt0; define MK_NO_CRT0 before including it in every other file (or to write your own
 * `void _start(void)`, which then must never return: call mk_exit).
 *
 * The numbers below repeat kernel/Syscalls/SyscallNumber.cs and ErrorCode.cs: keep them in sync.
 */
#ifndef MK_H
#define MK_H

/* ---- syscall numbers (SyscallNumber) ---- */
#define MK_SYS_EXIT          0   /* exit(code): ends the whole process */
#define MK_SYS_YIELD         1   /* yield(): gives the CPU to the next runnable thread */
#define MK_SYS_GETPID        2   /* getpid(): the calling process's id */
#define MK_SYS_GETTID        3   /* gettid(): the calling thread's id */
#define MK_SYS_THREAD_CREATE 4   /* thread_create(entry, arg, stack_top): returns the tid */
#define MK_SYS_THREAD_JOIN   5   /* thread_join(tid): waits for a thread; returns its exit code */
#define MK_SYS_THREAD_EXIT   6   /* thread_exit(code): ends the calling thread only */
#define MK_SYS_MAP           7   /* map(addr, length, prot): zeroed anonymous memory; addr 0 = kernel picks */
#define MK_SYS_UNMAP         8   /* unmap(addr, length) */
#define MK_SYS_PROTECT       9   /* protect(addr, length, prot) */
#define MK_SYS_SLEEP        10   /* sleep(ticks): virtual ticks */
#define MK_SYS_WRITE        11   /* write(buf, len): to the simulated console; returns the count written */
#define MK_SYS_TIME         12   /* time(): virtual time in ticks */
#define MK_SYS_TRACE_MARK   13   /* trace_mark(buf, len): annotates the trace (at most 128 bytes) */
#define MK_SYS_SEND         20   /* send(pid, type, addr, npages, flags): page-granular IPC */
#define MK_SYS_REGISTER_HANDLER 21 /* register_handler(type, entry): entry 0 removes */
#define MK_SYS_PAUSE        22   /* pause(ticks): wait until a handler ran (0 = no limit) */
#define MK_SYS_RPC_EXPORT   30   /* rpc_export(object, argc, nmethods, name, namelen): see mk_rpc_export */
#define MK_SYS_RPC_CALL     31   /* rpc_call(object, method | argc << 16, a0, a1, a2, a3): docs/rpc.md */
#define MK_SYS_RPC_SHARED   32   /* rpc_shared(length): a SHARED buffer callees may use during calls */
#define MK_SYS_RPC_UNEXPORT 33   /* rpc_unexport(object) */
#define MK_SYS_RPC_LOOKUP   34   /* rpc_lookup(name, namelen): the handle of a named service object */
#define MK_SYS_NOTIFY_CREATE 40  /* notify_create(name, namelen, flags): a notification handle (docs/notifications.md) */
#define MK_SYS_NOTIFY       41   /* notify(handle, count): returns how many waiters woke */
#define MK_SYS_WAIT         42   /* wait(handle, timeout): 0 = poll, -1 = forever */
#define MK_SYS_WAIT_ANY     43   /* wait_any(handles, count, timeout): index of the object that fired */
#define MK_SYS_NOTIFY_CLOSE 44   /* notify_close(handle) */
#define MK_SYS_SHM_CONNECT  50   /* shm_connect(pid): the pair's connection id (docs/shmem.md) */
#define MK_SYS_SHM_CREATE   51   /* shm_create(conn, size, flags): a segment mapped into both, owned by the caller */
#define MK_SYS_SHM_ADDRESS  52   /* shm_address(segment): where it is mapped in the caller */
#define MK_SYS_SHM_SEND     53   /* shm_send(segment, type): give it to the peer (async); the caller loses access */
#define MK_SYS_SHM_CALL     54   /* shm_call(segment, type): lend it to the peer's handler; returns its result */
#define MK_SYS_SHM_DESTROY  55   /* shm_destroy(segment): unmap from both, free (owner only) */
#define MK_SYS_SHM_CLOSE    56   /* shm_close(conn): tear down every segment of the connection */
#define MK_SYS_SHM_HANDLER  57   /* shm_handler(entry): the segment handler; 0 removes it */

/* ---- error codes (ErrorCode): results are negative on error ---- */
#define MK_OK                 0
#define MK_EUNKNOWN_SYSCALL  (-1)
#define MK_EINVAL            (-2)
#define MK_EFAULT            (-3)   /* BadAddress */
#define MK_EMISALIGNED       (-4)
#define MK_ENOMEM            (-5)
#define MK_ESRCH             (-6)   /* NoSuchProcess */
#define MK_ENOTHREAD         (-7)   /* NoSuchThread */
#define MK_EPERM             (-8)   /* NotPermitted */
#define MK_EALREADY_MAPPED   (-9)
#define MK_ENOT_MAPPED      (-10)
#define MK_ENO_MPU_REGION   (-11)
#define MK_EQUEUE_FULL      (-12)
#define MK_ENO_HANDLER      (-13)
#define MK_ETIMEDOUT        (-14)
#define MK_EDEADLOCK        (-15)
#define MK_ELIMIT           (-16)   /* LimitReached */
#define MK_EWOULDBLOCK      (-17)
#define MK_EPEER_FAULTED    (-18)
#define MK_EEXITED          (-19)   /* ProcessExited */
#define MK_ENO_OBJECT       (-20)   /* RPC: NoSuchObject */
#define MK_ENO_METHOD       (-21)   /* RPC: NoSuchMethod */
#define MK_EBAD_ARGC        (-22)   /* RPC: BadArgCount */
#define MK_ENESTING         (-23)   /* RPC: NestingTooDeep (8 nested calls) */
#define MK_ERESTARTING      (-24)   /* RPC: ServiceRestarting, retry */
#define MK_ENAME_IN_USE     (-25)   /* RPC: NameInUse */
#define MK_ECLOSED          (-30)   /* notifications: ObjectClosed */
#define MK_EBADHANDLE       (-31)   /* notifications: BadHandle */
#define MK_ENAME_TAKEN      (-32)   /* notifications: NameTaken */
#define MK_ENO_NAME         (-33)   /* notifications: NoSuchName */
#define MK_ENO_SEGMENT      (-40)   /* shared memory: NoSuchSegment */
#define MK_ENOT_THIS_PAIR   (-41)   /* shared memory: NotThisPair */
#define MK_ENOT_OWNER       (-42)   /* shared memory: NotOwner (the peer owns it now) */
#define MK_EALREADY_SENT    (-43)   /* shared memory: AlreadySent (in flight, or lent in a call) */
#define MK_ENO_CONNECTION   (-44)   /* shared memory: NoSuchConnection */

/* ---- notifications ---- */
#define MK_NOTIFY_OPEN      1          /* notify_create flag: open the public object of that name */
#define MK_NOTIFY_LOCK      2          /* notify_create flag: a robust lock (wait = take, notify(h, 1) = release) */
#define MK_FOREVER          (-1L)      /* wait / wait_any timeout with no limit */

/* ---- send() flags (SendFlags) ---- */
#define MK_SEND_KEEP        (1 << 0)   /* the sender keeps read/write access (share; with DUP: writable original) */
#define MK_SEND_RECV_WRITE  (1 << 1)   /* the receiver may write */
#define MK_SEND_DUP         (1 << 2)   /* the receiver gets a copy (copy-on-write) */
#define MK_SEND_TO_SELF     (1 << 3)
#define MK_SEND_TO_ALL      (2 << 3)
#define MK_SEND_TO_OTHERS   (3 << 3)   /* all but self */
#define MK_SEND_BLOCK       (1 << 5)   /* block while the receiver's queue is full */
#define MK_HANDLER_ACCEPT   1          /* a handler's result that keeps the pages; anything else abandons them */

/* ---- shared-memory segments (docs/shmem.md) ---- */
#define MK_SHM_UNSAFE       1          /* shm_create flag: read/write for both sides always */
#define MK_SHM_FROM(x)      ((long)(unsigned)(x))  /* a segment handler's 5th argument: the sender's pid ... */
#define MK_SHM_IS_CALL      (1L << 32) /* ... bit 32: it came with shm_call (the result is the reply) */
#define MK_SHM_IS_UNSAFE    (1L << 33) /* ... bit 33: an unsafe segment */

/* ---- protection bits for mk_map / mk_protect ---- */
#define MK_PROT_READ  1
#define MK_PROT_WRITE 2
#define MK_PROT_EXEC  4
#define MK_MAP_LARGE  0x100 /* or-ed into prot: 2 MiB pages (paging only; length rounded up to 2 MiB) */

/* ---- raw syscalls: rax = number; rdi, rsi, rdx, r10, r8, r9 = arguments; rax = result ---- */
static inline long mk_syscall0(long n)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n) : "rcx", "r11", "memory");
    return r;
}

static inline long mk_syscall1(long n, long a1)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1) : "rcx", "r11", "memory");
    return r;
}

static inline long mk_syscall2(long n, long a1, long a2)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2) : "rcx", "r11", "memory");
    return r;
}

static inline long mk_syscall3(long n, long a1, long a2, long a3)
{
    long r;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3) : "rcx", "r11", "memory");
    return r;
}

static inline long mk_syscall4(long n, long a1, long a2, long a3, long a4)
{
    long r;
    register long r10 __asm__("r10") = a4; /* no constraint letter for r10: use a register variable */
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10) : "rcx", "r11", "memory");
    return r;
}

static inline long mk_syscall5(long n, long a1, long a2, long a3, long a4, long a5)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8)
                     : "rcx", "r11", "memory");
    return r;
}

static inline long mk_syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6)
{
    long r;
    register long r10 __asm__("r10") = a4;
    register long r8 __asm__("r8") = a5;
    register long r9 __asm__("r9") = a6;
    __asm__ volatile("syscall" : "=a"(r) : "a"(n), "D"(a1), "S"(a2), "d"(a3), "r"(r10), "r"(r8), "r"(r9)
                     : "rcx", "r11", "memory");
    return r;
}

/* ---- helpers ---- */
static inline long mk_write(const void *buf, long len) { return mk_syscall2(MK_SYS_WRITE, (long)buf, len); }

static inline __attribute__((noreturn)) void mk_exit(long code)
{
    mk_syscall1(MK_SYS_EXIT, code);
    __builtin_unreachable(); /* exit never returns */
}

static inline long mk_yield(void) { return mk_syscall0(MK_SYS_YIELD); }
static inline long mk_getpid(void) { return mk_syscall0(MK_SYS_GETPID); }
static inline long mk_gettid(void) { return mk_syscall0(MK_SYS_GETTID); }
static inline long mk_time(void) { return mk_syscall0(MK_SYS_TIME); }
/* A short byte string in the trace (docs/syscalls.md): the kernel only records it. */
static inline long mk_trace_mark(const void *buf, long len) { return mk_syscall2(MK_SYS_TRACE_MARK, (long)buf, len); }
static inline long mk_sleep(long ticks) { return mk_syscall1(MK_SYS_SLEEP, ticks); }

/*
 * Page-granular IPC. A handler is an ordinary C function; the kernel runs it on one of the receiving process's
 * threads like a signal (at its next syscall, or waking it from a wait), with the pages already mapped at addr:
 *     long handler(long sender_pid, long type, void *addr, long npages, long flags);
 * Return MK_HANDLER_ACCEPT to keep the pages, anything else to abandon them.
 */
typedef long (*mk_handler_t)(long sender_pid, long type, void *addr, long npages, long flags);
static inline long mk_send(long pid, long type, void *addr, long npages, long flags)
{
    return mk_syscall5(MK_SYS_SEND, pid, type, (long)addr, npages, flags);
}
static inline long mk_register_handler(long type, mk_handler_t handler) { return mk_syscall2(MK_SYS_REGISTER_HANDLER, type, (long)handler); }
static inline long mk_pause(long ticks) { return mk_syscall1(MK_SYS_PAUSE, ticks); }

/* Maps zeroed memory; returns its address, or a negative MK_E* code. */
static inline long mk_map(void *addr, long len, long prot) { return mk_syscall3(MK_SYS_MAP, (long)addr, len, prot); }
static inline long mk_unmap(void *addr, long len) { return mk_syscall2(MK_SYS_UNMAP, (long)addr, len); }
static inline long mk_protect(void *addr, long len, long prot) { return mk_syscall3(MK_SYS_PROTECT, (long)addr, len, prot); }

/* Length of a NUL-terminated string, and writing one. */
static inline long mk_strlen(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    return n;
}

static inline long mk_puts(const char *s) { return mk_write(s, mk_strlen(s)); }

/*
 * RPC (docs/rpc.md). Calling: C programs call service objects exported by C# or C programs. The method index is
 * its position in the service's vtable (or C# interface); the kernel checks the argument count:
 *     long sensor = mk_rpc_lookup("sensor");
 *     long temp = mk_rpc_call(sensor, 1, 0, 0, 0, 0, 0);   // ITemperatureSensor.Get()
 * A SHARED buffer (mk_rpc_shared) is the only memory of the caller a callee can touch, during the call only.
 */
static inline long mk_rpc_call(long object, long method, long argc, long a0, long a1, long a2, long a3)
{
    return mk_syscall6(MK_SYS_RPC_CALL, object, method | (argc << 16), a0, a1, a2, a3);
}
static inline long mk_rpc_lookup(const char *name) { return mk_syscall2(MK_SYS_RPC_LOOKUP, (long)name, mk_strlen(name)); }
static inline long mk_rpc_shared(long len) { return mk_syscall1(MK_SYS_RPC_SHARED, len); }

/*
 * Exporting a service (docs/rpc.md, "x86 services"), as in CMRX: a service object is a struct whose FIRST member
 * points at its vtable, an array of method addresses; every method takes the object itself first:
 *     typedef struct { const mk_method_t *vtable; long total; } counter_t;
 *     static long counter_add(counter_t *self, long n) { return self->total += n; }
 *     static long counter_get(counter_t *self) { return self->total; }
 *     static const mk_method_t counter_vtable[] = { MK_METHOD(counter_add), MK_METHOD(counter_get) };
 *     static const unsigned char counter_argc[] = { 1, 0 };      // arguments of each method, self not counted
 *     static counter_t counter = { counter_vtable, 0 };
 *     long handle = mk_rpc_export(&counter, counter_argc, 2, "counter");   // name 0 = unnamed
 * rpc_call runs the method on the CALLER's thread, in a fresh register context: rdi = self, rsi, rdx, rcx, r8 =
 * the (up to 4) arguments, 0 beyond the method's count; rsp = a stack in this process's memory, one per call in
 * progress. The method's return value (rax) is what the caller's mk_rpc_call returns. While it runs, the method sees
 * this process's memory and the caller's SHARED buffers, and its syscalls act for this process (mk_write, mk_map,
 * nested mk_rpc_call); mk_exit or a fault ends this process (or restarts it, fault=restart) and the caller gets
 * MK_EPEER_FAULTED. The object's memory is the service's state: keep it in static storage or mk_map'ed memory.
 */
typedef long (*mk_method_t)(void *self, long a0, long a1, long a2, long a3);
#define MK_METHOD(f) ((mk_method_t)(void (*)(void))(f))   /* any method, whatever its own parameter list */
static inline long mk_rpc_export(const void *object, const unsigned char *argc, long nmethods, const char *name)
{
    return mk_syscall5(MK_SYS_RPC_EXPORT, (long)object, (long)argc, nmethods, (long)name, name ? mk_strlen(name) : 0);
}
static inline long mk_rpc_unexport(long object) { return mk_syscall1(MK_SYS_RPC_UNEXPORT, object); }

/*
 * Notifications (docs/notifications.md): counting notify/wait on kernel objects, shared by name.
 *     long h = mk_notify_open("jobs/not-empty");     // or mk_notify_create("name") / mk_notify_create(0)
 *     if (mk_wait(h, 100) == MK_ETIMEDOUT) ...
 */
static inline long mk_notify_create(const char *name)
{
    return mk_syscall3(MK_SYS_NOTIFY_CREATE, (long)name, name ? mk_strlen(name) : 0, 0);
}
static inline long mk_notify_open(const char *name) { return mk_syscall3(MK_SYS_NOTIFY_CREATE, (long)name, mk_strlen(name), MK_NOTIFY_OPEN); }
static inline long mk_notify(long handle, long count) { return mk_syscall2(MK_SYS_NOTIFY, handle, count); }
static inline long mk_wait(long handle, long timeout) { return mk_syscall2(MK_SYS_WAIT, handle, timeout); }
static inline long mk_wait_any(const long *handles, long count, long timeout)
{
    return mk_syscall3(MK_SYS_WAIT_ANY, (long)handles, count, timeout);
}
static inline long mk_notify_close(long handle) { return mk_syscall1(MK_SYS_NOTIFY_CLOSE, handle); }

/*
 * Owned shared memory (docs/shmem.md). A segment handler is an ordinary C function the kernel runs like a signal
 * when the peer sends (or lends, with shm_call) a segment; this process owns the segment while it runs:
 *     long handler(long segment, long type, void *addr, long size, long from);
 * MK_SHM_FROM(from) is the sender's pid; from & MK_SHM_IS_CALL says the result is a call's reply (never below 0).
 */
typedef long (*mk_shm_handler_t)(long segment, long type, void *addr, long size, long from);
static inline long mk_shm_connect(long pid) { return mk_syscall1(MK_SYS_SHM_CONNECT, pid); }
static inline long mk_shm_create(long conn, long size, long flags) { return mk_syscall3(MK_SYS_SHM_CREATE, conn, size, flags); }
static inline long mk_shm_address(long segment) { return mk_syscall1(MK_SYS_SHM_ADDRESS, segment); }
static inline long mk_shm_send(long segment, long type) { return mk_syscall2(MK_SYS_SHM_SEND, segment, type); }
static inline long mk_shm_call(long segment, long type) { return mk_syscall2(MK_SYS_SHM_CALL, segment, type); }
static inline long mk_shm_destroy(long segment) { return mk_syscall1(MK_SYS_SHM_DESTROY, segment); }
static inline long mk_shm_close(long conn) { return mk_syscall1(MK_SYS_SHM_CLOSE, conn); }
static inline long mk_shm_handler(mk_shm_handler_t handler) { return mk_syscall1(MK_SYS_SHM_HANDLER, (long)handler); }

/* Formats a signed number in decimal into buf (at least 21 bytes); returns its length. */
static inline long mk_format_long(char *buf, long value)
{
    char tmp[21];
    unsigned long v = value < 0 ? -(unsigned long)value : (unsigned long)value;
    long n = 0, len = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    if (value < 0)
        buf[len++] = '-';
    while (n > 0)
        buf[len++] = tmp[--n];
    return len;
}

#if !defined(MK_NO_CRT0) && !defined(MK_LIBC) /* mk-gcc (MK_LIBC): userland/libc has the crt0 */
/*
 * gcc may turn loops into calls to memset/memcpy/strlen even with -nostdlib: these definitions satisfy them.
 * They use rep stosb / rep movsb, so gcc cannot turn them back into calls to themselves.
 */
__attribute__((weak)) void *memset(void *dest, int c, unsigned long n)
{
    void *d = dest;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dest;
}

__attribute__((weak)) void *memcpy(void *dest, const void *src, unsigned long n)
{
    void *d = dest;
    __asm__ volatile("rep movsb" : "+D"(d), "+S"(src), "+c"(n) : : "memory");
    return dest;
}

/* gcc may also turn mk_strlen's loop into a call to strlen: repne scasb, so it cannot turn this one back. */
__attribute__((weak)) unsigned long strlen(const char *s)
{
    unsigned long n = ~0UL;
    __asm__ volatile("repne scasb" : "+D"(s), "+c"(n) : "a"(0) : "memory");
    return ~n - 1;
}

int main(int argc, char **argv);

/* Called by _start with the initial rsp: [rsp] = argc, rsp + 8 = argv (SysV layout). */
__attribute__((used, noreturn)) static void mk_start_c(long *sp)
{
    mk_exit(main((int)sp[0], (char **)(sp + 1)));
}

/* The entry point: clear the frame pointer, pass rsp, keep the stack 16-byte aligned for the call. */
__asm__(".text\n"
        ".global _start\n"
        "_start:\n"
        "    xor %ebp, %ebp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call mk_start_c\n"
        "    hlt\n");
#endif /* MK_NO_CRT0 */

#endif /* MK_H */
