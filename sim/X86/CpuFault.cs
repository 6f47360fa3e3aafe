using MicroKernel.Hardware;

namespace MicroKernel.X86;

/// <summary>
/// What the CPU reports when an instruction faults: why, where, which instruction, and the registers at that moment.
/// The faulting instruction changed no register (rip still points at it), so the fault can be fixed and retried.
/// </summary>
/// <param name="Reason">Why the instruction faulted (a memory reason, IllegalInstruction, DivideError, GeneralProtection).</param>
/// <param name="Memory">The protection unit's report when a memory access (fetch, load or store) was refused; null otherwise.</param>
/// <param name="Rip">The address of the faulting instruction.</param>
/// <param name="Instruction">The instruction, disassembled (NASM syntax), or "??" when it could not be fetched.</param>
/// <param name="Message">A one-line explanation, e.g. "illegal instruction: cpuid".</param>
/// <param name="Registers">A snapshot of the registers when the fault was raised.</param>
public sealed record CpuFault(FaultReason Reason, MemoryFault? Memory, ulong Rip, string Instruction, string Message,
    X86Registers Registers)
{
    /// <summary>A multi-line report: message, instruction and register dump.</summary>
    public override string ToString() =>
        $"{Message}\n  at 0x{Rip:x}: {Instruction}\n{Registers.FormatRegisters()}";
}
