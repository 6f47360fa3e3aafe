using MicroKernel.Syscalls;

namespace MicroKernel.Tracing;

/// <summary>
/// A syscall that entered and returned with no other event between: its entry and exit events in one record, handed
/// to a sink in one call (<see cref="IEventSink.EmitSyscall"/>). The entry is event <see cref="Seq"/>, the exit
/// <see cref="Seq"/> + 1, both at <see cref="Tick"/>; <see cref="Entry"/> and <see cref="Exit"/> are the two events.
/// </summary>
/// <remarks>
/// Why: a null syscall is the kernel's most frequent event pair, and building and handing out two events cost twice
/// the syscall itself. The kernel builds this only for sinks that asked for it (<see cref="IEventSink.TakesSyscallRecords"/>).
/// </remarks>
/// <param name="Seq">The entry's sequence number (the exit's is one more).</param>
/// <param name="Tick">Virtual time of both events.</param>
/// <param name="Pid">The calling process.</param>
/// <param name="Tid">The calling thread.</param>
/// <param name="Code">The syscall number.</param>
/// <param name="Args">Its arguments.</param>
/// <param name="Result">What it returned.</param>
/// <param name="Instructions">Instructions the thread had retired (x86 programs; 0 for C# ones).</param>
/// <param name="Io">User memory it read and wrote, as on <see cref="KernelEvent.Io"/> (null when none).</param>
public record struct SyscallRecord(long Seq, long Tick, int Pid, int Tid, long Code, SyscallArgs Args, long Result,
    long Instructions, IReadOnlyList<UserIo>? Io)
{
    /// <summary>The entry event.</summary>
    public readonly KernelEvent Entry => new()
    {
        Seq = Seq, Tick = Tick, Pid = Pid, Tid = Tid, Kind = EventKind.SyscallEnter, Code = Code,
        A0 = Args.A0, A1 = Args.A1, A2 = Args.A2, A3 = Args.A3, A4 = Args.A4, A5 = Args.A5, Instructions = Instructions,
    };

    /// <summary>The exit event (its <see cref="KernelEvent.Io"/> is this record's, valid during the sink's call only).</summary>
    public readonly KernelEvent Exit => new()
    {
        Seq = Seq + 1, Tick = Tick, Pid = Pid, Tid = Tid, Kind = EventKind.SyscallExit, Code = Code,
        A0 = Args.A0, A1 = Args.A1, A2 = Args.A2, A3 = Args.A3, A4 = Args.A4, A5 = Args.A5, Result = Result,
        Instructions = Instructions, Io = Io,
    };
}
