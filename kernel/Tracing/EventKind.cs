namespace MicroKernel.Tracing;

/// <summary>The kinds of events in the kernel's one event stream.</summary>
public enum EventKind : byte
{
    /// <summary>A process was created (Text = name).</summary>
    ProcessStart,
    /// <summary>A process ended (Code = exit status).</summary>
    ProcessExit,
    /// <summary>A thread was created (Text = name).</summary>
    ThreadStart,
    /// <summary>A thread ended (Code = exit code).</summary>
    ThreadExit,
    /// <summary>A syscall was entered (Code = number, A0..A5 = arguments).</summary>
    SyscallEnter,
    /// <summary>A syscall returned (Code = number, A0..A5 = arguments, Result).</summary>
    SyscallExit,
    /// <summary>A fault (Code = reason, A0 = address, A1 = access kind, Text = detail).</summary>
    Fault,
    /// <summary>The scheduler handed the CPU to another thread (A0 = next tid, Text = why).</summary>
    Switch,
    /// <summary>Bytes written to the simulated console (Text).</summary>
    Console,
    /// <summary>Every live thread was blocked (Text = the wait-for report).</summary>
    Deadlock,
    /// <summary>No thread was ready: virtual time jumped to the next wake-up (A0 = new time).</summary>
    Idle,
    /// <summary>The run hit its virtual-time limit.</summary>
    TickLimit,
    /// <summary>A process was restarted by its fault policy.</summary>
    Restart,
    /// <summary>
    /// A page message reached its receiver's handler (Code = type, A0 = sender pid, A1 = address in the receiver,
    /// A2 = pages, A3 = flags; Result = 1 accepted, 0 abandoned, negative = not deliverable).
    /// </summary>
    Delivery,
    /// <summary>
    /// A handler starts on this thread (an upcall), before any syscall it makes; the <see cref="Delivery"/> event ends
    /// it. Code = type, A0 = sender pid, A1 = address in the receiver, A2 = pages, A3 = flags, A4 = handler entry.
    /// </summary>
    Upcall,
    /// <summary>
    /// An RPC method starts on this thread (RPC). Pid = the callee process, A0 = object handle, A1 = method,
    /// A2 = nesting depth (1 = outermost), A3 = MPU regions the grant takes (0 under paging), A4 = caller pid,
    /// A5 = SHARED pages granted.
    /// </summary>
    RpcEnter = 20,
    /// <summary>
    /// The RPC method ended and its grants were revoked. Pid = the caller process again, A0 = object, A1 = method,
    /// A2 = depth, Result = what rpc_call returns.
    /// </summary>
    RpcReturn = 21,
    /// <summary>
    /// A notify (A0 = object id, A1 = count added, A2 = count left pending after the wake-ups; Result = threads woken).
    /// </summary>
    Notify = 24,
    /// <summary>
    /// A notification wait ended by an object, on the woken thread (A0 = object id, A1 = its index in the wait set,
    /// A2/A3 = pid/tid of the notifier or closer, 0 when its owner exited; Code = the wait's result: the index, or
    /// ObjectClosed).
    /// </summary>
    Wake = 25,
    /// <summary>
    /// The kernel panicked: an exception in kernel code (not in a user program). Pid/tid = the thread that held the
    /// CPU; Text = the kernel exception's type name and message (never its stack, which varies by machine). The run
    /// stops: every process is killed.
    /// </summary>
    Panic = 30,
    /// <summary>
    /// A fault rule fired (docs/faults.md). Pid/Tid = the process/thread it hit (0 when none), Code = the rule's index in
    /// the plan, Text = what was injected in the kernel's words, e.g. <c>syscall map #2 -> OutOfMemory</c>.
    /// </summary>
    Inject = 31,
}
