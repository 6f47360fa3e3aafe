using Iced.Intel;

namespace MicroKernel.X86;

// The translated run loop: find the block at rip, run its compiled code when the budget covers it whole, otherwise
// let the interpreter step. X86BlockTranslator.cs builds and compiles the blocks.
public sealed partial class X86Cpu
{
    private X86CpuMode _mode;
    // For the count when compiled code faults: the region running (null outside compiled code), the index in it of
    // the block the code is in, and how many instructions retired before that block's current turn (in the blocks it
    // came through, chained). The run loop sets them to the block it enters and 0; the compiled code updates the index
    // (an int: no write barrier) and the count before each call-out that can fault, never on its fast path.
    private X86Block[]? _runningRegion;
    private int _runningIndex;
    private long _loopRetired;

    // Whether rip is where a block naturally starts: after a branch, a block's end or an instruction no block holds
    // (syscall...), and at the entry point. A run that a scheduling point ended mid-block resumes elsewhere: a block
    // built there would duplicate the rest of the existing one, and each such tail would be compiled again. So
    // blocks are built only at leaders; elsewhere an existing block is used, or the interpreter steps to a leader.
    private bool _atLeader = true;
    private ulong _stopRip;                  // rip when the last translated run ended: if it moved since, it was set (a call, a handler)
    private static readonly X86Block NoBlock = new([]); // "no block starts here": the interpreter runs this instruction

    /// <summary>
    /// How <see cref="Run"/> executes code (default <see cref="X86CpuMode.Interpret"/>). Both modes retire the same
    /// instructions with the same results, counts, faults and memory accesses; <see cref="X86CpuMode.Translate"/>
    /// needs the decode cache (without it, the CPU interprets).
    /// </summary>
    public X86CpuMode Mode
    {
        get => _mode;
        set => _mode = Enum.IsDefined(value) ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "not a CPU mode");
    }

    /// <summary>
    /// Under <see cref="X86CpuMode.Translate"/>: how many times the run loop reaches a block before it is compiled
    /// (0 = at once). Compiling a block (emit IL, JIT-compile it) costs 0.2 to 1.4 ms as measured, thousands of
    /// interpreted runs of a short block, so a block is compiled only once it has run a thousand times: code that runs
    /// a few hundred times, as most of a short program does, stays interpreted, and a tiny program is no slower
    /// translated. Default <see cref="DefaultTranslationThreshold"/>.
    /// </summary>
    public int TranslationThreshold
    {
        get => _translationThreshold;
        set => _translationThreshold = value >= 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must be 0 or more");
    }

    /// <summary>The default <see cref="TranslationThreshold"/> (docs/x86.md, "The block translator").</summary>
    public const int DefaultTranslationThreshold = 1024;

    private int _translationThreshold = DefaultTranslationThreshold;

    /// <summary>
    /// How many times the threshold a block waits when its region is mostly instructions that compiled code would
    /// hand to the interpreter one by one (SSE, x87...): such code gains little from compiling (the dispatch per
    /// instruction, not the work) and costs as much JIT time as native code, up to 20 ms for a 50-instruction SSE loop.
    /// </summary>
    internal const int DeferredThresholdFactor = 64;

    private int DeferredThreshold => (int)Math.Min(int.MaxValue, (long)_translationThreshold * DeferredThresholdFactor);

    /// <summary>
    /// How many methods this CPU has compiled, each for a hot block and the blocks chained to it (translation
    /// statistics for tests and benchmarks).
    /// </summary>
    public int BlocksTranslated { get; private set; }

    /// <summary>How many blocks were compiled into the method of another, hotter block (chained to it).</summary>
    public int BlocksChained { get; private set; }

    /// <summary>
    /// How many times a hot block's compilation was put off because its region was mostly instructions the compiled
    /// code would hand to the interpreter (<see cref="DeferredThresholdFactor"/>).
    /// </summary>
    public int BlocksDeferred { get; private set; }

    /// <summary>Instructions in compiled blocks emitted as native IL, and those that call the interpreter.</summary>
    public (int Native, int Interpreted) TranslatedInstructions => (_nativeInstructions, _fallbackInstructions);

    private int _nativeInstructions;
    private int _fallbackInstructions;

    private StopReason RunTranslated()
    {
        EnterDirectPaging();
        if (_regs.Rip != _stopRip)
            _atLeader = true; // the kernel or a test set rip between runs: like a branch
        try
        {
            while (_budget > 0)
            {
                if (_regs.Rip == _returnAddress && _stopsOnReturn) return StopReason.Returned;
                X86Block? block = BlockAt(_regs.Rip);
                if (block is null)
                {
                    if (StepInterpreter() is { } stop) return stop;
                    continue;
                }
                if (block.Code is null && block.Hits++ >= (block.Deferred ? DeferredThreshold : _translationThreshold))
                    Compile(block, _page!);
                if (block.Code is { } code && block.Length <= _budget)
                {
                    _runningRegion = block.Region;
                    _runningIndex = block.Entry;
                    _loopRetired = 0;
                    long retired = code(this, block.Entry);
                    _runningRegion = null;
                    FlushDirectHits();
                    _budget -= retired;
                    InstructionsRetired += retired;
                    _atLeader = true;
                    continue;
                }
                // Not compiled yet, or the budget ends inside it: the interpreter steps to the exact count, so a
                // scheduling point falls on the same instruction in both modes.
                for (int i = 0; i < block.Length && _budget > 0; i++)
                {
                    if (i > 0 && _regs.Rip == _returnAddress && _stopsOnReturn) return StopReason.Returned;
                    if (StepInterpreter() is { } stop) return stop;
                }
            }
            return StopReason.BudgetExhausted;
        }
        finally
        {
            _stopRip = _regs.Rip;
            FlushDirectHits(); // a block that faulted wrote its count of hits before the call-out
            // A fault (or an error) inside a compiled block: rip names the faulting instruction (the block writes it
            // before each instruction that can fault), so the ones before it retired.
            if (_runningRegion is { } region)
            {
                X86Block interrupted = region[_runningIndex];
                long retired = _loopRetired + Math.Max(0, interrupted.IndexOf(_regs.Rip));
                _budget -= retired;
                InstructionsRetired += retired;
                _runningRegion = null;
            }
        }
    }

    /// <summary>One instruction through the interpreter, as <see cref="Run"/>'s loop does it; a stop reason ends the run.</summary>
    private StopReason? StepInterpreter()
    {
        ref Instruction ins = ref Fetch(_regs.Rip);
        // The next instruction starts a block after a branch, or after one that no block holds.
        _atLeader = ins.FlowControl != FlowControl.Next || !MayBeInBlock(in ins);
        switch (Execute(in ins))
        {
            case Step.Retired:
                _budget--;
                InstructionsRetired++;
                return null;
            case Step.Counted:
                return null;
            case Step.Syscall:
                _budget--;
                InstructionsRetired++;
                return StopReason.Syscall;
            default:
                _budget--;
                InstructionsRetired++;
                return StopReason.Halted;
        }
    }

    /// <summary>
    /// The block starting at rip, built on first sight; null where the interpreter must run the instruction itself
    /// (an uncacheable page, or an instruction no block may hold). Validates the code page as a fetch does.
    /// </summary>
    private X86Block? BlockAt(ulong rip)
    {
        CodePage? page = _page;
        if (rip / PageSize != _pageVpn || _codeStale || page is null)
            page = EnterPage(rip);
        if (page.Uncacheable)
            return null;
        int offset = (int)(rip % PageSize);
        X86Block?[] blocks = page.Blocks ??= new X86Block?[PageSize];
        X86Block? block = blocks[offset];
        if (block is null)
        {
            if (!_atLeader)
                return null; // mid-block (a scheduling point stopped there): step to the next leader
            block = blocks[offset] = BuildBlock(page, rip) ?? NoBlock;
        }
        return block.Length == 0 ? null : block;
    }

    /// <summary>Drops every block (kept decodes stay): for settings that change how blocks are built.</summary>
    private void DropBlocks()
    {
        foreach (CodePage page in _codePages.Values)
            page.Blocks = null;
    }

    // ---- called by compiled blocks (not inlined into them: cold paths, and each inlined body costs JIT time) ----

    /// <summary>Runs instruction index of a block through the interpreter (an instruction not translated natively).</summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal void InterpretInBlock(X86Block block, int index) => Execute(in block.Instructions[index]);

    /// <summary>
    /// After a store that may have hit code (rip = the next instruction, on the block's page): re-validates the page
    /// as the interpreter's next fetch would. True when the rest of the block is still the code in memory.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
    internal bool CodeUnchanged(ulong next)
    {
        CodePage? before = _page;
        ulong version = before?.Version ?? 0;
        CodePage page = EnterPage(next);
        return ReferenceEquals(page, before) && page.Version == version;
    }
}
