using MicroKernel.Hardware;
using MicroKernel.Syscalls;

namespace MicroKernel.Processes;

/// <summary>
/// What the kernel knows about a fault: who, where, what kind of access and why, and (for CPU programs) the
/// disassembled instruction and registers. The process's <see cref="FaultPolicy"/> decides what happens next.
/// </summary>
/// <param name="Pid">The faulting process.</param>
/// <param name="Tid">The faulting thread.</param>
/// <param name="Tick">Virtual time of the fault.</param>
/// <param name="Address">The refused address (0 when the fault is not about memory).</param>
/// <param name="Access">The access kind.</param>
/// <param name="Reason">Why it faulted.</param>
/// <param name="Detail">Instruction text or other detail the kernel words itself (recorded in traces); may be empty.</param>
public sealed record FaultRecord(int Pid, int Tid, long Tick, ulong Address, AccessKind Access, FaultReason Reason, string Detail)
{
    /// <summary>
    /// The .NET message of a <see cref="FaultReason.UserException"/>, in the host's language: printed on stderr,
    /// never put in an event or a trace (a language pack translates it, so it is not the same bytes everywhere).
    /// </summary>
    public string? HostMessage { get; init; }

    /// <summary>
    /// The fault of a C# exception that escaped user code: the detail is the exception's type and a sentence the
    /// kernel words (for a refused syscall, the call and its error), the same on every host; the exception's own
    /// message is kept aside in <see cref="HostMessage"/>.
    /// </summary>
    public static FaultRecord ForUserException(int pid, int tid, long tick, Exception e)
    {
        string words = e is ISyscallFailure f
            ? string.Create(CultureInfo.InvariantCulture, $"{f.Syscall} failed: {f.Error.Message()} ({(long)f.Error})")
            : "escaped the program's code";
        return new(pid, tid, tick, 0, AccessKind.Execute, FaultReason.UserException, $"{e.GetType().FullName} {words}") { HostMessage = e.Message };
    }

    /// <summary>The exit status a process killed by this fault reports: 128 + the reason's number, like a signal.</summary>
    public long ExitStatus => 128 + (int)Reason;

    /// <inheritdoc />
    public override string ToString() =>
        $"pid {Pid} tid {Tid}: {Reason} ({Access.ToString().ToLowerInvariant()} at 0x{Address:x}){(Detail.Length > 0 ? ": " + Detail : "")}";
}
