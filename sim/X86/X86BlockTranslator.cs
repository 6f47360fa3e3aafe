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

    /// <summary>Compiles a block to IL; from now on the run loop calls its code.</summary>
    private void Compile(X86Block block)
    {
        // A block at the return address must not go round past it: the run loop stops there.
        bool mayLoop = !(_stopsOnReturn && block.Instructions[0].IP == _returnAddress);
        block.Code = new BlockEmitter(block, mayLoop).Emit();
        BlocksTranslated++;
        _nativeInstructions += block.NativeCount;
        _fallbackInstructions += block.Length - block.NativeCount;
    }

    // ---- flag helpers the compiled code calls (the interpreter's own arithmetic, so the flags are identical) ----

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
