using MicroKernel.Hardware;

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
/// <param name="Detail">Instruction text, exception message, or other detail; may be empty.</param>
public sealed record FaultRecord(int Pid, int Tid, long Tick, ulong Address, AccessKind Access, FaultReason Reason, string Detail)
{
    /// <summary>The exit status a process killed by this fault reports: 128 + the reason's number, like a signal.</summary>
    public long ExitStatus => 128 + (int)Reason;

    /// <inheritdoc />
    public override string ToString() =>
        $"pid {Pid} tid {Tid}: {Reason} ({Access.ToString().ToLowerInvariant()} at 0x{Address:x}){(Detail.Length > 0 ? ": " + Detail : "")}";
}
