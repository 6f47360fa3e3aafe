using MicroKernel.Hardware;

namespace MicroKernel.X86;

/// <summary>
/// Carries a fault from deep inside an instruction's execution back to <see cref="X86Cpu.Run"/>, which turns it
/// into a <see cref="CpuFault"/>. It never leaves Run: the kernel only ever sees <see cref="StopReason.Fault"/>.
/// </summary>
internal sealed class X86FaultException(FaultReason reason, MemoryFault? memory, string message, bool duringFetch = false)
    : Exception(message)
{
    /// <summary>Why the instruction faulted.</summary>
    public FaultReason Reason { get; } = reason;

    /// <summary>The refused memory access, if the fault came from memory.</summary>
    public MemoryFault? Memory { get; } = memory;

    /// <summary>True when the instruction itself could not be fetched (so it cannot be disassembled).</summary>
    public bool DuringFetch { get; } = duringFetch;
}
