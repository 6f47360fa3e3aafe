namespace MicroKernel.X86;

/// <summary>How <see cref="X86Cpu"/> runs code: one instruction at a time, or basic blocks compiled to .NET code.</summary>
public enum X86CpuMode
{
    /// <summary>
    /// The interpreter: fetch (from the decode cache), execute, repeat. The default of a bare <see cref="X86Cpu"/>
    /// (an <see cref="X86Program"/>'s threads translate by default: <see cref="X86Program.DefaultCpuMode"/>).
    /// </summary>
    Interpret,

    /// <summary>
    /// The block translator: a basic block that runs often enough is compiled to IL (a <c>DynamicMethod</c>) and runs
    /// as one call; instructions it does not translate natively call the interpreter's execute path, so every
    /// instruction behaves exactly as under <see cref="Interpret"/>, with the same counts, faults and registers.
    /// </summary>
    Translate,
}
