using MicroKernel.Processes;

namespace MicroKernel.Syscalls;

/// <summary>
/// trace_mark(buf, length): a user program annotates the trace with a short byte string, like Linux's trace_marker
/// or Fuchsia's ktrace. The kernel only copies the bytes in (so the syscall's exit event carries them, as it carries
/// what write read) and returns 0: it knows nothing of what a mark means. Exporters and libraries agree on a grammar
/// (docs/syscalls.md, docs/trace-format.md#marks); with no trace sink it costs what any short syscall costs.
/// </summary>
internal static class TraceMarkSyscall
{
    /// <summary>The longest mark, in bytes.</summary>
    public const ulong MaxBytes = 128;

    public static void Register(Kernel k) =>
        k.Syscalls.Register(new((long)SyscallNumber.TraceMark, "trace_mark", [("buf", ArgFormat.Hex), ("length", ArgFormat.Int)],
            (SimThread c, in SyscallArgs a) => Mark(k, c, a.A0, a.A1))
        { Errors = [ErrorCode.InvalidArgument, ErrorCode.BadAddress], Writes = Invariants.CheckedState.None });

    private static long Mark(Kernel k, SimThread caller, ulong buffer, ulong length)
    {
        if (length == 0 || length > MaxBytes) return (long)ErrorCode.InvalidArgument;
        // The copy is the record: a trace stores the bytes a syscall read, and a replay checks their digest.
        Span<byte> bytes = stackalloc byte[(int)length];
        return k.CopyFromUser(caller, buffer, bytes) ? 0 : (long)ErrorCode.BadAddress;
    }
}
