namespace MicroKernel.X86;

/// <summary>Why <see cref="X86Cpu.Run"/> returned.</summary>
public enum StopReason
{
    /// <summary>
    /// A <c>syscall</c> instruction retired: rip points past it, rcx = that rip, r11 = RFLAGS. The caller reads
    /// rax (number) and rdi, rsi, rdx, r10, r8, r9 (arguments), stores the result in rax and calls Run again.
    /// </summary>
    Syscall,
    /// <summary>The instruction at rip faulted; <see cref="X86Cpu.LastFault"/> describes it. No register was changed by it.</summary>
    Fault,
    /// <summary>The instruction budget given to Run is used up (deterministic preemption point).</summary>
    BudgetExhausted,
    /// <summary><c>hlt</c> executed while <see cref="X86Cpu.HaltStops"/> is set (tests); rip points past it.</summary>
    Halted,
    /// <summary>
    /// The interpreter itself failed on the instruction at rip (a simulator bug, not the program's fault);
    /// <see cref="X86Cpu.LastSimulatorError"/> names the instruction and holds what was thrown.
    /// </summary>
    SimulatorError,
    /// <summary>
    /// Execution reached <see cref="X86Cpu.ReturnAddress"/> (a function the kernel called returned to its sentinel);
    /// nothing was fetched from there, rax holds the function's result.
    /// </summary>
    Returned,
}
