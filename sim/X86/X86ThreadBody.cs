using MicroKernel.Processes;

namespace MicroKernel.X86;

/// <summary>
/// An x86 thread as a resumable body (docs/x86.md, "Threads"): between two instructions its whole state is its
/// <see cref="X86Cpu"/>'s registers, so the kernel runs it on the host thread that holds the CPU, and a switch at an
/// instruction point suspends it here instead of parking a host thread. Handlers and RPC methods it runs are nested
/// inside kernel frames: a switch there parks it on its runner's stack, as before.
/// </summary>
internal sealed class X86ThreadBody : ResumableBody
{
    private readonly X86Program _program;
    private readonly ulong _entry;
    private readonly ulong _argument;
    private readonly ulong _stackTop;
    private X86Cpu? _cpu;

    internal X86ThreadBody(X86Program program, ulong entry, ulong argument, ulong stackTop)
    {
        _program = program;
        _entry = entry;
        _argument = argument;
        _stackTop = stackTop;
    }

    /// <inheritdoc />
    public override bool Step(SimThread thread, out long exitCode)
    {
        // The first step sets the thread up as X86Program.Run does (it may fault, or reach a scheduling point, there).
        _cpu ??= _program.StartThread(thread, _entry, _argument, _stackTop);
        return X86Program.Execute(thread, _cpu, suspendable: true, out exitCode);
    }

    /// <inheritdoc />
    public override void Ended(SimThread thread)
    {
        _program.EndThread(thread);
        _cpu = null;
    }
}
