using Iced.Intel;

namespace MicroKernel.X86;

/// <summary>
/// Compiled code of one basic block: runs it on the CPU and returns how many instructions retired (more than its
/// length when it loops back to its own start).
/// </summary>
/// <param name="cpu">The CPU whose registers and memory the block uses.</param>
internal delegate long X86BlockCode(X86Cpu cpu);

/// <summary>
/// A basic block of guest code: straight-line instructions of one code page, ending at a branch, a call, a return,
/// before an instruction the translator leaves to the interpreter's run loop (syscall, hlt, string instructions,
/// an invalid encoding), before an instruction that crosses the page end, or at <see cref="MaxInstructions"/>.
/// It lives in the decode cache's page, so whatever drops the page's decodes (a store into it, unmapping,
/// remapping) drops the block too.
/// </summary>
internal sealed class X86Block
{
    /// <summary>The longest block: a scheduling point can fall inside a block only when the budget is short of it.</summary>
    public const int MaxInstructions = 64;

    /// <summary>The instructions, in order; every one retires exactly one unit of the budget.</summary>
    public readonly Instruction[] Instructions;

    /// <summary>The block's compiled code, or null until it ran <see cref="X86Cpu.TranslationThreshold"/> times.</summary>
    public X86BlockCode? Code;

    /// <summary>How many times the dispatcher reached this block before it was compiled.</summary>
    public int Hits;

    /// <summary>How many of the instructions the translator emitted natively (the rest call the interpreter).</summary>
    public int NativeCount;

    /// <summary>A block of the given instructions (at least one).</summary>
    public X86Block(Instruction[] instructions) => Instructions = instructions;

    /// <summary>The number of instructions, which is also the budget the block needs to run whole.</summary>
    public int Length => Instructions.Length;

    /// <summary>The index of the instruction at address, or -1: how many retired before a fault there.</summary>
    public int IndexOf(ulong address)
    {
        for (int i = 0; i < Instructions.Length; i++)
            if (Instructions[i].IP == address)
                return i;
        return -1;
    }
}
