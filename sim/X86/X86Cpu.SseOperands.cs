using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

// SSE operands: the xmm registers, 128-bit memory operands with the alignment rule, lanes, and MXCSR updates.
public sealed partial class X86Cpu
{
    /// <summary>The xmm register named by an operand. Anything else (an MMX register) is not implemented.</summary>
    private ref UInt128 Xmm(Register r)
    {
        if (r is < Register.XMM0 or > Register.XMM15)
            throw Illegal($"register {r.ToString().ToLowerInvariant()} is not supported (only SSE/SSE2 on xmm0..xmm15)");
        return ref _regs.Xmm[r - Register.XMM0];
    }

    /// <summary>
    /// Reads operand op of an SSE instruction: an xmm register (all 128 bits) or memory, zero-extended from the
    /// operand's size (16, 8, 4 or 2 bytes). A 16-byte memory operand must be 16-byte aligned (#GP) except for
    /// the unaligned moves movups, movupd and movdqu.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private UInt128 ReadXmmOp(in Instruction ins, int op)
    {
        if (ins.GetOpKind(op) == OpKind.Register)
            return Xmm(ins.GetOpRegister(op));
        if (ins.GetOpKind(op) != OpKind.Memory)
            throw Illegal($"operand kind {ins.GetOpKind(op)} in {MnemonicName(in ins)}");
        int size = MemorySizeBytes[(int)ins.MemorySize];
        return ReadMem128(SseAddress(in ins, size), size);
    }

    /// <summary>Writes operand op of an SSE instruction: a whole xmm register, or size bytes of memory.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private void WriteXmmOp(in Instruction ins, int op, UInt128 value)
    {
        if (ins.GetOpKind(op) == OpKind.Register)
        {
            Xmm(ins.GetOpRegister(op)) = value;
            return;
        }
        int size = MemorySizeBytes[(int)ins.MemorySize];
        WriteMem128(SseAddress(in ins, size), value, size);
    }

    /// <summary>The memory operand's address, after the alignment check for 16-byte operands.</summary>
    private ulong SseAddress(in Instruction ins, int size)
    {
        ulong address = EffectiveAddress(in ins);
        if (size == 16 && (address & 15) != 0 && ins.Mnemonic is not (Mnemonic.Movups or Mnemonic.Movupd or Mnemonic.Movdqu))
            throw new X86FaultException(FaultReason.GeneralProtection, null,
                $"general protection: {MnemonicName(in ins)} needs a 16-byte aligned operand, 0x{address:x} is not");
        return address;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private UInt128 ReadMem128(ulong address, int size)
    {
        Span<byte> bytes = _memBytes.AsSpan(0, size);
        if (_memory.Read(address, bytes, AccessKind.Read) is { } fault)
            throw MemoryFaultException(fault);
        return size switch
        {
            16 => BinaryPrimitives.ReadUInt128LittleEndian(bytes),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            _ => bytes[0],
        };
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // the SSE path: see ExecuteSse
    private void WriteMem128(ulong address, UInt128 value, int size)
    {
        BinaryPrimitives.WriteUInt128LittleEndian(_memBytes, value);
        if (_memory.Write(address, _memBytes.AsSpan(0, size)) is { } fault)
            throw MemoryFaultException(fault);
        NoteStore(address, size);
    }

    /// <summary>A 128-bit value seen as lanes of T (lane 0 = the low bits; the host is little-endian like x86).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Span<T> Lanes<T>(ref UInt128 value) where T : struct =>
        MemoryMarshal.Cast<UInt128, T>(MemoryMarshal.CreateSpan(ref value, 1));

    /// <summary>
    /// Ends a floating-point instruction: its exception flags go into MXCSR (they are sticky), and an exception
    /// whose mask bit is clear becomes a #XM fault. Callers call this before writing any result, so a faulting
    /// instruction changes only MXCSR's flags, as on hardware.
    /// </summary>
    private void CommitFloat(in FpEnv env)
    {
        _regs.Mxcsr |= env.Flags;
        uint unmasked = env.Flags & ~(_regs.Mxcsr >> X86Mxcsr.MaskShift) & X86Mxcsr.Flags;
        if (unmasked != 0)
            throw new X86FaultException(FaultReason.SimdFloatingPoint, null,
                $"SIMD floating-point exception (#XM): {X86Mxcsr.FlagNames(unmasked)} (unmasked in MXCSR)");
    }
}
