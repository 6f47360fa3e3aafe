using MicroKernel.Processes;

namespace MicroKernel.Syscalls;

/// <summary>Runs one syscall for <paramref name="caller"/>; returns the result (negative = <see cref="ErrorCode"/>).</summary>
public delegate long SyscallHandler(SimThread caller, in SyscallArgs args);

/// <summary>How a trace prints an argument.</summary>
public enum ArgFormat : byte
{
    /// <summary>Signed decimal.</summary>
    Int,
    /// <summary>Hexadecimal (addresses).</summary>
    Hex,
    /// <summary>Protection bits as "rw-".</summary>
    Prot,
    /// <summary>send() flags as "MOVE|RO".</summary>
    SendFlags,
    /// <summary>rpc_call's method word as "method 2/argc 1".</summary>
    RpcMethod,
}

/// <summary>A syscall's entry in the table: number, name, arguments (for traces) and handler.</summary>
/// <param name="Number">The number in rax.</param>
/// <param name="Name">The name traces print.</param>
/// <param name="Args">Name and print format of each argument.</param>
/// <param name="Handler">The code.</param>
/// <param name="ResultFormat">How a trace prints a successful result.</param>
public sealed record SyscallInfo(long Number, string Name, IReadOnlyList<(string Name, ArgFormat Format)> Args, SyscallHandler Handler, ArgFormat ResultFormat = ArgFormat.Int)
{
    /// <summary>
    /// The errors this syscall is documented to return (docs/syscalls.md, checked against it by a test): what a fault
    /// rule's <c>error=</c> may name and what a <c>random</c> rule draws from.
    /// </summary>
    public IReadOnlyList<ErrorCode> Errors { get; init; } = [];

    /// <summary>
    /// The parts of the kernel's state this syscall may change: the invariant checks after it re-run only the
    /// invariants that read them. Every part unless the syscall declares less (getpid, gettid and yield change none:
    /// a context switch marks the TLB itself).
    /// </summary>
    public Invariants.CheckedState Writes { get; init; } = Invariants.CheckedState.All;

    /// <summary>
    /// False for a syscall that never reads or writes user memory (getpid): a traced call of it then skips the I/O
    /// record (clearing it, switching it on, reading it at the exit). True unless the syscall declares otherwise; a
    /// test runs every syscall and checks that none declared false records any I/O.
    /// </summary>
    public bool CopiesUserMemory { get; init; } = true;
}
