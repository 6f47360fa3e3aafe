namespace MicroKernel.X86;

/// <summary>
/// An internal error of the x86 interpreter: executing an instruction threw something that is not a CPU fault (a bug
/// in the simulator, not in the program). It names the instruction; the exception it caught is the inner exception.
/// <see cref="X86Cpu.Run"/> reports it as <see cref="StopReason.SimulatorError"/>, and <see cref="X86Program"/>
/// throws it so the kernel stops the run with a panic: it is never charged to the program as an illegal instruction.
/// </summary>
public sealed class X86SimulatorException : Exception
{
    /// <summary>Creates the report of an interpreter error at <paramref name="rip"/>.</summary>
    /// <param name="rip">The address of the instruction being executed.</param>
    /// <param name="instruction">That instruction, disassembled (NASM syntax), or "??".</param>
    /// <param name="inner">What the interpreter threw.</param>
    public X86SimulatorException(ulong rip, string instruction, Exception inner)
        // The message holds only what the simulator controls (no .NET message text, which varies by language pack):
        // it goes into traces. The inner exception, with its message and stack, goes to the printed report.
        : base($"x86 interpreter internal error at 0x{rip:x} ({instruction}): {inner.GetType().Name}", inner)
    {
        Rip = rip;
        Instruction = instruction;
    }

    /// <summary>The address of the instruction the interpreter failed on.</summary>
    public ulong Rip { get; }

    /// <summary>That instruction, disassembled, or "??" when it could not be read.</summary>
    public string Instruction { get; }
}
