using Iced.Intel;

namespace MicroKernel.X86;

// The block translator: cuts a basic block out of a decoded code page and compiles it (X86Emitter.*.cs).
public sealed partial class X86Cpu
{
    /// <summary>
    /// Decodes the basic block starting at rip from the page's bytes, or null when the instruction at rip may not
    /// start one (the run loop interprets it). The block never leaves the page: an instruction that crosses the
    /// page end depends on two pages, and the interpreter fetches it afresh each time.
    /// </summary>
    private X86Block? BuildBlock(CodePage page, ulong rip)
    {
        var instructions = new List<Instruction>();
        ulong ip = rip;
        while (instructions.Count < X86Block.MaxInstructions && ip / PageSize == page.Vpn)
        {
            _reader.Reset(page.Bytes, (int)(ip % PageSize), PageSize);
            _decoder.IP = ip;
            _decoder.Decode(out Instruction ins);
            if (_decoder.LastError == DecoderError.NoMoreBytes || !MayBeInBlock(in ins))
                break;
            instructions.Add(ins);
            if (ins.FlowControl != FlowControl.Next)
                break; // a branch, call, return or trap ends the block
            ip = ins.NextIP;
            if (_stopsOnReturn && ip == _returnAddress)
                break; // the run loop stops there before any fetch
        }
        return instructions.Count == 0 ? null : new X86Block([.. instructions]);
    }

    /// <summary>
    /// Whether an instruction may be part of a block: every instruction in a block retires exactly one unit of the
    /// budget and does not end the run. syscall and hlt stop the run, a string instruction counts its own iterations,
    /// and an invalid encoding faults: the run loop hands those to the interpreter.
    /// </summary>
    private static bool MayBeInBlock(in Instruction ins) =>
        ins.Mnemonic is not (Mnemonic.Syscall or Mnemonic.Hlt or Mnemonic.INVALID) && !ins.IsStringInstruction;

    /// <summary>The most blocks a region holds: more would make its one method slow to compile.</summary>
    private const int MaxRegionBlocks = 12;

    /// <summary>The most instructions a region holds (the JIT's time grows with the method).</summary>
    private const int MaxRegionInstructions = 160;

    /// <summary>
    /// Compiles a hot block, with the blocks it chains to, into one method; from now on the run loop calls its code.
    /// </summary>
    private void Compile(X86Block head, CodePage page)
    {
        X86Block[] region = Region(head, page);
        // A branch to the return address must not be chained: the run loop stops there.
        ulong? noChain = _stopsOnReturn ? _returnAddress : null;
        // TLB hits inline when the thread runs in a paged space (the hit path exists); otherwise every access calls out.
        var emitter = new BlockEmitter(region, noChain, InlineTlbHits && _direct is not null, hitHelper: !InlineTlbHits);
        X86BlockCode code = emitter.Emit();
        if (ShouldDefer(head, emitter))
        {
            // The method is dropped before its first call, so the JIT never compiles it: only its IL was built.
            head.Deferred = true;
            head.Hits = 0;
            BlocksDeferred++;
            return;
        }
        for (int k = 0; k < region.Length; k++)
        {
            if (region[k].Code is null || k == 0)
            {
                region[k].Code = code;
                region[k].Entry = k;
                region[k].Region = region;
            }
        }
        BlocksTranslated++;
        BlocksChained += region.Length - 1;
        _nativeInstructions += emitter.NativeCount;
        _fallbackInstructions += emitter.InterpretedCount;
    }

    /// <summary>
    /// Whether a region reaching the threshold waits for <see cref="DeferredThresholdFactor"/> times as many runs: when
    /// more of its instructions call the interpreter than run natively. Not with a threshold of 0 ("compile at once",
    /// as tests ask), nor a second time.
    /// </summary>
    private bool ShouldDefer(X86Block head, BlockEmitter emitter) =>
        _translationThreshold > 0 && !head.Deferred && emitter.InterpretedCount > emitter.NativeCount;

    /// <summary>
    /// The region compiled with a hot block: the block, then (breadth first) the blocks its direct branches and
    /// fall-throughs lead to on the same page, if they were built already, i.e. if that code ran. A branch between
    /// two blocks of a region stays inside the compiled method ("chaining"): the registers stay in locals and the
    /// run loop is not involved. Blocks that never ran (an error path) stay out, so they cost no compile time.
    /// </summary>
    private static X86Block[] Region(X86Block head, CodePage page)
    {
        var region = new List<X86Block> { head };
        X86Block?[]? blocks = page.Blocks;
        int instructions = head.Length;
        for (int k = 0; k < region.Count && blocks is not null; k++)
        {
            foreach (ulong target in Successors(region[k]))
            {
                if (target / PageSize != page.Vpn || region.Count == MaxRegionBlocks)
                    continue;
                X86Block? next = blocks[(int)(target % PageSize)];
                if (next is null || next.Length == 0 || region.Contains(next)
                    || instructions + next.Length > MaxRegionInstructions)
                    continue;
                region.Add(next);
                instructions += next.Length;
            }
        }
        return [.. region];
    }

    /// <summary>Where a block may go on to, when known before it runs: a direct branch's target, the next instruction.</summary>
    private static IEnumerable<ulong> Successors(X86Block block)
    {
        ref readonly Instruction last = ref block.Instructions[^1];
        switch (last.FlowControl)
        {
            case FlowControl.Next:
                return [last.NextIP];
            case FlowControl.ConditionalBranch when last.Op0Kind == OpKind.NearBranch64:
                return [last.NearBranch64, last.NextIP];
            case FlowControl.UnconditionalBranch or FlowControl.Call when last.Op0Kind == OpKind.NearBranch64:
                return [last.NearBranch64];
            default:
                return [];
        }
    }

    // ---- flag helpers the compiled code calls (the interpreter's own arithmetic, so the flags are identical) ----

    /// <summary>
    /// RFLAGS with the flags of a pending operation (X86Emitter.Flags.cs): kind is the operation times 16 plus its
    /// size, 0 when RFLAGS is up to date already; a and b its operands, r its result.
    /// </summary>
    internal static ulong LazyFlags(int kind, ulong a, ulong b, ulong r, ulong rflags)
    {
        int size = kind & 15;
        switch (kind >> 4)
        {
            case 1: AddFlags(a, b, 0, size, ref rflags); break;
            case 2: SubFlags(a, b, 0, size, ref rflags); break;
            case 3: LogicFlags(r, size, ref rflags); break;
            default: break;
        }
        return rflags;
    }

    /// <summary>inc: a + 1 with the flags of an add, CF unchanged.</summary>
    internal static ulong IncFlags(ulong a, int size, ref ulong flags)
    {
        ulong cf = flags & X86Flags.CF;
        ulong r = AddFlags(a, 1, 0, size, ref flags);
        flags = (flags & ~X86Flags.CF) | cf;
        return r;
    }

    /// <summary>dec: a - 1 with the flags of a sub, CF unchanged.</summary>
    internal static ulong DecFlags(ulong a, int size, ref ulong flags)
    {
        ulong cf = flags & X86Flags.CF;
        ulong r = SubFlags(a, 1, 0, size, ref flags);
        flags = (flags & ~X86Flags.CF) | cf;
        return r;
    }
}
