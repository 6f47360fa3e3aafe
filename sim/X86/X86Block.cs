using Iced.Intel;

namespace MicroKernel.X86;

/// <summary>
/// Compiled code of a region of chained blocks: runs it on the CPU from one of its blocks and returns how many
/// instructions retired (more than the block's length when it went on into chained blocks or round a loop).
/// </summary>
/// <param name="cpu">The CPU whose registers and memory the blocks use.</param>
/// <param name="entry">The index in the region of the block to start with (<see cref="X86Block.Entry"/>).</param>
internal delegate long X86BlockCode(X86Cpu cpu, int entry);

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

    /// <summary>
    /// The compiled code that runs this block (the code of the region it was compiled in, entered at
    /// <see cref="Entry"/>), or null until it ran <see cref="X86Cpu.TranslationThreshold"/> times.
    /// </summary>
    public X86BlockCode? Code;

    /// <summary>This block's index in the region whose <see cref="Code"/> it runs.</summary>
    public int Entry;

    /// <summary>The blocks of the region whose <see cref="Code"/> it runs (the code reports the one it is in by index).</summary>
    public X86Block[] Region = [];

    /// <summary>How many times the dispatcher reached this block before it was compiled.</summary>
    public int Hits;

    /// <summary>
    /// Set when this block reached the threshold but its region was mostly instructions the compiled code hands to
    /// the interpreter: it is compiled later, at <see cref="X86Cpu.DeferredThresholdFactor"/> times the threshold.
    /// </summary>
    public bool Deferred;

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
