using System.Runtime.CompilerServices;
using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

// SSE and SSE2: the dispatch for the x86-64 baseline's vector instructions, and the moves. Arithmetic is in
// X86Cpu.SseFloat (floating point, with MXCSR) and X86Cpu.SseInteger (packed integers, shuffles, packs).
// Like every handler, each reads all its inputs (and does its stores) before it writes a register.
public sealed partial class X86Cpu
{
    /// <summary>Executes an SSE/SSE2 instruction; false if the mnemonic is not one (the caller then faults).</summary>
    // Optimized at once, here and in the SSE helpers: ReadyToRun leaves them to the JIT (they pass UInt128 values),
    // and their tier-0 code (generic lane loops through delegates) is many times slower for the thousands of
    // calls before tiering replaces it: that was a sixth of a short SSE-using run (docs/benchmarks.md, "Start-up").
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private bool ExecuteSse(in Instruction ins)
    {
        for (int op = 0; op < ins.OpCount; op++)
            if (ins.GetOpKind(op) == OpKind.Register && ins.GetOpRegister(op) is >= Register.MM0 and <= Register.MM7)
                throw Illegal($"{MnemonicName(in ins)} on mmx registers");
        switch (ins.Mnemonic)
        {
            // ---- moves ----
            case Mnemonic.Movaps:
            case Mnemonic.Movups:
            case Mnemonic.Movapd:
            case Mnemonic.Movupd:
            case Mnemonic.Movdqa:
            case Mnemonic.Movdqu:
            case Mnemonic.Movntps:
            case Mnemonic.Movntpd:
            case Mnemonic.Movntdq:
                WriteXmmOp(in ins, 0, ReadXmmOp(in ins, 1));
                break;
            case Mnemonic.Movd: case Mnemonic.Movq: MovdMovq(in ins); break;
            case Mnemonic.Movss: MovScalar(in ins, 4); break;
            case Mnemonic.Movsd: MovScalar(in ins, 8); break;
            case Mnemonic.Movlps: case Mnemonic.Movlpd: MovHalf(in ins, high: false); break;
            case Mnemonic.Movhps: case Mnemonic.Movhpd: MovHalf(in ins, high: true); break;
            case Mnemonic.Movhlps:
            {
                UInt128 src = Xmm(ins.Op1Register);
                ref UInt128 dst = ref Xmm(ins.Op0Register);
                dst = (dst & ~(UInt128)ulong.MaxValue) | (src >> 64);
                break;
            }
            case Mnemonic.Movlhps:
            {
                UInt128 src = Xmm(ins.Op1Register);
                ref UInt128 dst = ref Xmm(ins.Op0Register);
                dst = (dst & ulong.MaxValue) | (src << 64);
                break;
            }
            case Mnemonic.Movmskps: WriteReg(ins.Op0Register, SignMask<uint>(Xmm(ins.Op1Register))); break;
            case Mnemonic.Movmskpd: WriteReg(ins.Op0Register, SignMask<ulong>(Xmm(ins.Op1Register))); break;
            case Mnemonic.Pmovmskb: WriteReg(ins.Op0Register, SignMask<byte>(Xmm(ins.Op1Register))); break;
            case Mnemonic.Movnti: WriteOp(in ins, 0, ReadReg(ins.Op1Register), OpSize(in ins, 1)); break;
            case Mnemonic.Maskmovdqu: MaskMove(in ins); break;
            case Mnemonic.Pextrw:
            {
                UInt128 src = Xmm(ins.Op1Register);
                WriteReg(ins.Op0Register, Lanes<ushort>(ref src)[ins.Immediate8 & 7]);
                break;
            }
            case Mnemonic.Pinsrw:
            {
                ushort word = (ushort)(ins.Op1Kind == OpKind.Register ? ReadReg(ins.Op1Register) : (ulong)ReadXmmOp(in ins, 1));
                ref UInt128 dst = ref Xmm(ins.Op0Register);
                Lanes<ushort>(ref dst)[ins.Immediate8 & 7] = word;
                break;
            }

            // ---- MXCSR, fences, cache hints ----
            case Mnemonic.Ldmxcsr:
            {
                uint value = (uint)ReadOp(in ins, 0, 4);
                if ((value & ~X86Mxcsr.Writable) != 0)
                    throw new X86FaultException(FaultReason.GeneralProtection, null,
                        $"general protection: ldmxcsr 0x{value:x8} sets reserved bits");
                _regs.Mxcsr = value;
                break;
            }
            case Mnemonic.Stmxcsr: WriteOp(in ins, 0, _regs.Mxcsr, 4); break;
            case Mnemonic.Lfence:
            case Mnemonic.Sfence:
            case Mnemonic.Mfence:
                break; // one simulated CPU runs at a time: every access is already in program order
            case Mnemonic.Clflush:
                ReadMem(EffectiveAddress(in ins), 1); // no cache to flush, but the address must be readable
                break;

            default:
                return ExecuteSseFloat(in ins) || ExecuteSseInteger(in ins);
        }
        return true;
    }

    /// <summary>movd/movq: between a general register or memory and an xmm register; loads into xmm zero the rest.</summary>
    private void MovdMovq(in Instruction ins)
    {
        int size = ins.Mnemonic == Mnemonic.Movd ? 4 : 8;
        if (ins.Op0Kind == OpKind.Register && ins.Op0Register is >= Register.XMM0 and <= Register.XMM15)
        {
            // movd/movq xmm, r/m or movq xmm, xmm/m64: the low size bytes, the rest zero.
            UInt128 value = ins.Op1Kind == OpKind.Register && RegSize[(int)ins.Op1Register] != 0
                ? ReadReg(ins.Op1Register)
                : ReadXmmOp(in ins, 1) & (size == 8 ? ulong.MaxValue : uint.MaxValue);
            Xmm(ins.Op0Register) = value;
        }
        else
        {
            // movd/movq r/m, xmm: the low size bytes of the xmm register.
            UInt128 src = Xmm(ins.Op1Register);
            WriteOp(in ins, 0, (ulong)src & SizeMask[size], size);
        }
    }

    /// <summary>movss/movsd: a load zeroes the rest of the register, a register move or store touches only the low lane.</summary>
    private void MovScalar(in Instruction ins, int size)
    {
        UInt128 laneMask = size == 8 ? ulong.MaxValue : uint.MaxValue;
        if (ins.Op0Kind == OpKind.Memory)
        {
            WriteMem128(EffectiveAddress(in ins), Xmm(ins.Op1Register), size);
            return;
        }
        UInt128 src = ReadXmmOp(in ins, 1) & laneMask;
        ref UInt128 dst = ref Xmm(ins.Op0Register);
        dst = ins.Op1Kind == OpKind.Memory ? src : (dst & ~laneMask) | src;
    }

    /// <summary>movlps/movhps/movlpd/movhpd: one 64-bit half between memory and an xmm register; the other half stays.</summary>
    private void MovHalf(in Instruction ins, bool high)
    {
        int shift = high ? 64 : 0;
        if (ins.Op0Kind == OpKind.Memory)
        {
            WriteMem128(EffectiveAddress(in ins), Xmm(ins.Op1Register) >> shift, 8);
            return;
        }
        UInt128 half = (UInt128)ReadMem(EffectiveAddress(in ins), 8) << shift;
        ref UInt128 dst = ref Xmm(ins.Op0Register);
        dst = (dst & ~((UInt128)ulong.MaxValue << shift)) | half;
    }

    /// <summary>The sign (top) bit of each lane of T, lane 0 in bit 0 (movmskps, movmskpd, pmovmskb).</summary>
    private static ulong SignMask<T>(UInt128 value) where T : struct
    {
        int width = System.Runtime.CompilerServices.Unsafe.SizeOf<T>() * 8;
        ulong mask = 0;
        for (int i = 0; i < 128 / width; i++)
            mask |= ((ulong)(value >> (i * width + width - 1)) & 1UL) << i;
        return mask;
    }

    /// <summary>maskmovdqu: stores the bytes of the first register whose mask byte has its top bit set, to [rdi].</summary>
    private void MaskMove(in Instruction ins)
    {
        // Iced lists the implicit [rdi] as operand 0.
        UInt128 data = Xmm(ins.Op1Register);
        UInt128 mask = Xmm(ins.Op2Register);
        ulong address = _regs.Rdi;
        for (int i = 0; i < 16; i++)
            if (((byte)(mask >> (8 * i)) & 0x80) != 0)
                WriteMem(address + (ulong)i, (byte)(data >> (8 * i)), 1);
    }
}
