namespace MicroKernel.Syscalls;

/// <summary>
/// Syscall numbers: the value in rax (x86) or the first argument of <c>Syscall</c> (C#).
/// Arguments go in rdi, rsi, rdx, r10, r8, r9; the result comes back in rax, negative = <see cref="ErrorCode"/>.
/// docs/syscalls.md describes each one; userland/include/mk.h repeats these numbers for C programs.
/// </summary>
public enum SyscallNumber : long
{
    /// <summary>exit(code): ends the whole process with an exit code.</summary>
    Exit = 0,
    /// <summary>yield(): gives the CPU to the next runnable thread.</summary>
    Yield = 1,
    /// <summary>getpid(): the calling process's id.</summary>
    GetPid = 2,
    /// <summary>gettid(): the calling thread's id.</summary>
    GetTid = 3,
    /// <summary>thread_create(entry, arg, stack_top): starts a thread of the calling process; returns its tid.</summary>
    ThreadCreate = 4,
    /// <summary>thread_join(tid): waits for a thread of the same process to end; returns its exit code.</summary>
    ThreadJoin = 5,
    /// <summary>thread_exit(code): ends the calling thread only.</summary>
    ThreadExit = 6,
    /// <summary>map(addr, length, prot): maps zeroed anonymous memory; addr 0 lets the kernel choose. Returns the address.</summary>
    Map = 7,
    /// <summary>unmap(addr, length): unmaps whole pages and frees their frames.</summary>
    Unmap = 8,
    /// <summary>protect(addr, length, prot): changes the protection of mapped pages.</summary>
    Protect = 9,
    /// <summary>sleep(ticks): blocks for a number of virtual ticks.</summary>
    Sleep = 10,
    /// <summary>write(buf, len): writes bytes to the simulated console; returns the count written.</summary>
    Write = 11,
    /// <summary>time(): the current virtual time in ticks.</summary>
    Time = 12,
    /// <summary>trace_mark(buf, length): annotates the trace with a short byte string (at most 128 bytes); the kernel only copies it.</summary>
    TraceMark = 13,

    /// <summary>send(pid, type, addr, npages, flags): sends whole pages to another process's handler (page-send IPC).</summary>
    Send = 20,
    /// <summary>register_handler(type, entry): binds (entry != 0) or removes (entry = 0) the handler for a message type.</summary>
    RegisterHandler = 21,
    /// <summary>pause(ticks): waits until a handler has run in this process, or ticks pass (0 = no limit).</summary>
    Pause = 22,

    /// <summary>rpc_export(entry, vtable, nmethods, name, namelen): registers a service object; returns its handle (RPC).</summary>
    RpcExport = 30,
    /// <summary>rpc_call(object, method | argc &lt;&lt; 16, a0, a1, a2, a3): runs a method of a service object on this thread.</summary>
    RpcCall = 31,
    /// <summary>rpc_shared(length): maps a zeroed SHARED buffer that RPC callees may use during calls; returns its address.</summary>
    RpcShared = 32,
    /// <summary>rpc_unexport(object): withdraws a service object this process exported.</summary>
    RpcUnexport = 33,
    /// <summary>rpc_lookup(name, namelen): the handle of the service object exported under that name.</summary>
    RpcLookup = 34,

    /// <summary>notify_create(name, name_len, flags): creates a notification object (named = public) or opens one by name (flags bit 0); returns a handle.</summary>
    NotifyCreate = 40,
    /// <summary>notify(handle, count): adds count to the object, waking up to count waiters in arrival order; returns how many woke.</summary>
    Notify = 41,
    /// <summary>wait(handle, timeout): consumes one notify, blocking up to timeout ticks (0 = poll, -1 = forever).</summary>
    Wait = 42,
    /// <summary>wait_any(handles, count, timeout): waits on several objects; returns the index of the one consumed.</summary>
    WaitAny = 43,
    /// <summary>notify_close(handle): closes the handle; the owner's close destroys the object (waiters get ObjectClosed).</summary>
    NotifyClose = 44,

    /// <summary>shm_connect(pid): the connection between the caller and pid (made at the first call of either side); returns its id.</summary>
    ShmConnect = 50,
    /// <summary>shm_create(conn, size, flags): a segment mapped into both processes of the connection, owned by the caller; returns its id.</summary>
    ShmCreate = 51,
    /// <summary>shm_address(segment): where the segment is mapped in the calling process.</summary>
    ShmAddress = 52,
    /// <summary>shm_send(segment, type): gives the segment to the peer in an asynchronous message (the caller loses access now).</summary>
    ShmSend = 53,
    /// <summary>shm_call(segment, type): lends the segment to the peer's handler and waits; it comes back with the handler's result.</summary>
    ShmCall = 54,
    /// <summary>shm_destroy(segment): the owner unmaps the segment from both processes and frees its frames.</summary>
    ShmDestroy = 55,
    /// <summary>shm_close(conn): closes the connection; every segment it carried is unmapped from both and freed.</summary>
    ShmClose = 56,
    /// <summary>shm_handler(entry): binds (entry != 0) or removes (0) the process's handler for segments that arrive.</summary>
    ShmHandler = 57,
}
