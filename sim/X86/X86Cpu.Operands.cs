using System.Buffers.Binary;
using System.Runtime.CompilerServices;
using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

// Operands: registers (with x86-64 partial-register rules), effective addresses and memory accesses.
public sealed partial class X86Cpu
{
    /// <summary>Value masks by operand size in bytes (1, 2, 4, 8).</summary>
    private static readonly ulong[] SizeMask = [0, 0xff, 0xffff, 0, 0xffff_ffff, 0, 0, 0, ulong.MaxValue];

    // For each Iced register: which GPR holds it, its size in bytes (0 = not a GPR) and its bit offset (8 for ah..bh).
    private static readonly int RegisterCount = Enum.GetValues<Register>().Length;
    private static readonly byte[] RegIndex = new byte[RegisterCount];
    private static readonly byte[] RegSize = new byte[RegisterCount];
    private static readonly byte[] RegShift = new byte[RegisterCount];

    private readonly byte[] _memBytes = new byte[16];

    static X86Cpu()
    {
        for (int i = 0; i < 16; i++)
        {
            SetReg(Register.RAX + i, i, 8, 0);
            SetReg(Register.EAX + i, i, 4, 0);
            SetReg(Register.AX + i, i, 2, 0);
        }
        // 8-bit registers in Iced's order: al cl dl bl, ah ch dh bh, spl bpl sil dil, r8l..r15l.
        for (int i = 0; i < 4; i++)
        {
            SetReg(Register.AL + i, i, 1, 0);
            SetReg(Register.AH + i, i, 1, 8);
        }
        for (int i = 4; i < 16; i++)
            SetReg(Register.SPL + (i - 4), i, 1, 0);

        static void SetReg(Register r, int index, int size, int shift)
        {
            RegIndex[(int)r] = (byte)index;
            RegSize[(int)r] = (byte)size;
            RegShift[(int)r] = (byte)shift;
        }
    }

    /// <summary>Reads a general-purpose register of any size (al, ah, ax, eax, rax...).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadReg(Register r)
    {
        int k = (int)r;
        int size = RegSize[k];
        if (size == 0)
            throw UnsupportedRegister(r);
        return (Gpr(RegIndex[k]) >> RegShift[k]) & SizeMask[size];
    }

    /// <summary>The 64-bit register with encoding number index (0..15), without a bounds check: callers pass table values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ref ulong Gpr(int index) =>
        ref Unsafe.Add(ref Unsafe.As<X86GprFile, ulong>(ref _regs.Gpr), index);

    /// <summary>Writes a register with x86-64 rules: 32-bit writes zero-extend, 8/16-bit writes merge.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteReg(Register r, ulong value)
    {
        int k = (int)r;
        ref ulong gpr = ref Gpr(RegIndex[k]);
        switch (RegSize[k])
        {
            case 8: gpr = value; break;
            case 4: gpr = (uint)value; break;
            case 2: gpr = (gpr & ~0xffffUL) | (value & 0xffff); break;
            case 1:
                int shift = RegShift[k];
                gpr = (gpr & ~(0xffUL << shift)) | ((value & 0xff) << shift);
                break;
            default: throw UnsupportedRegister(r);
        }
    }

    private static X86FaultException UnsupportedRegister(Register r)
    {
        string name = r.ToString().ToLowerInvariant();
        // Control and debug registers exist but user mode may not touch them.
        return r is >= Register.CR0 and <= Register.DR15
            ? new X86FaultException(FaultReason.GeneralProtection, null, $"general protection: {name} is privileged")
            : Illegal($"register {name} is not supported");
    }

    /// <summary>The size in bytes of operand op: a register's size or the memory operand's size.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static int OpSize(in Instruction ins, int op)
    {
        // Operands 0 and 1 are read straight from their fields: this runs for nearly every instruction.
        if (op == 0 ? ins.Op0Kind == OpKind.Register : ins.GetOpKind(op) == OpKind.Register)
            return RegSize[(int)(op == 0 ? ins.Op0Register : ins.GetOpRegister(op))];
        return MemorySizeBytes[(int)ins.MemorySize];
    }

    // The size in bytes of each Iced MemorySize, looked up once (GetSize() goes through an info object per call).
    private static readonly byte[] MemorySizeBytes = BuildMemorySizes();

    private static byte[] BuildMemorySizes()
    {
        MemorySize[] all = Enum.GetValues<MemorySize>();
        var sizes = new byte[all.Length];
        foreach (MemorySize m in all)
            sizes[(int)m] = (byte)Math.Min(m.GetSize(), 255);
        return sizes;
    }

    /// <summary>Reads operand op (register, memory or immediate) as a size-byte value, zero-extended.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private ulong ReadOp(in Instruction ins, int op, int size)
    {
        // Fast path for the common register operand; everything else goes through the general switch.
        if (op == 0 && ins.Op0Kind == OpKind.Register)
            return ReadReg(ins.Op0Register);
        if (op == 1)
        {
            OpKind kind = ins.Op1Kind;
            if (kind == OpKind.Register)
                return ReadReg(ins.Op1Register);
            if (kind is >= OpKind.Immediate8 and <= OpKind.Immediate32to64)
                return ins.GetImmediate(1) & SizeMask[size]; // Iced sign-extends the "to" forms to 64 bits
        }
        return ReadOpSlow(in ins, op, size);
    }

    private ulong ReadOpSlow(in Instruction ins, int op, int size)
    {
        switch (ins.GetOpKind(op))
        {
            case OpKind.Register:
                return ReadReg(ins.GetOpRegister(op));
            case OpKind.Memory:
                return ReadMem(EffectiveAddress(in ins), size);
            case OpKind.Immediate8:
            case OpKind.Immediate16:
            case OpKind.Immediate32:
            case OpKind.Immediate64:
            case OpKind.Immediate8to16:
            case OpKind.Immediate8to32:
            case OpKind.Immediate8to64:
            case OpKind.Immediate32to64:
                // Iced sign-extends the "to" forms to 64 bits; keep the operand's width.
                return ins.GetImmediate(op) & SizeMask[size];
            default:
                throw Illegal($"operand kind {ins.GetOpKind(op)} in {ins.Mnemonic.ToString().ToLowerInvariant()}");
        }
    }

    /// <summary>Writes operand op (register or memory) with a size-byte value.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private void WriteOp(in Instruction ins, int op, ulong value, int size)
    {
        if (op == 0 && ins.Op0Kind == OpKind.Register)
            WriteReg(ins.Op0Register, value);
        else
            WriteOpSlow(in ins, op, value, size);
    }

    private void WriteOpSlow(in Instruction ins, int op, ulong value, int size)
    {
        switch (ins.GetOpKind(op))
        {
            case OpKind.Register:
                WriteReg(ins.GetOpRegister(op), value);
                return;
            case OpKind.Memory:
                WriteMem(EffectiveAddress(in ins), value, size);
                return;
            default:
                throw Illegal($"cannot write operand kind {ins.GetOpKind(op)}");
        }
    }

    /// <summary>
    /// The address of the memory operand: base + index * scale + displacement, plus the FS/GS base when a
    /// segment prefix says so. RIP-relative operands come from Iced already resolved to an absolute address.
    /// </summary>
    /// <remarks>Iced's <c>Instruction.GetVirtualAddress</c> does the same through a callback per register read; computing it here avoids that indirection on the hot path.</remarks>
    private ulong EffectiveAddress(in Instruction ins)
    {
        ulong address = ins.MemoryDisplacement64;
        Register baseReg = ins.MemoryBase;
        Register indexReg = ins.MemoryIndex;
        bool address32 = false;
        if (baseReg != Register.None)
        {
            if (baseReg == Register.RIP)
            {
                // displacement is already rip + disp
            }
            else if (baseReg == Register.EIP)
                address32 = true;
            else
            {
                address += ReadReg(baseReg);
                address32 = RegSize[(int)baseReg] == 4;
            }
        }
        if (indexReg != Register.None)
        {
            address += ReadReg(indexReg) * (ulong)ins.MemoryIndexScale;
            address32 |= RegSize[(int)indexReg] == 4;
        }
        if (address32)
            address = (uint)address; // a 0x67 prefix: 32-bit address arithmetic
        // Only an fs: or gs: prefix adds a base in 64-bit mode (ds, es, ss and cs have base 0).
        return ins.SegmentPrefix switch
        {
            Register.FS => address + _regs.FsBase,
            Register.GS => address + _regs.GsBase,
            _ => address,
        };
    }

    /// <summary>Loads size bytes (little-endian) from user memory, or faults.</summary>
    private ulong ReadMem(ulong address, int size)
    {
        Span<byte> bytes = _memBytes.AsSpan(0, size);
        if (_memory.Read(address, bytes, AccessKind.Read) is { } fault)
            throw MemoryFaultException(fault);
        return size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64LittleEndian(bytes),
        };
    }

    /// <summary>Stores size bytes (little-endian) to user memory, or faults.</summary>
    private void WriteMem(ulong address, ulong value, int size)
    {
        BinaryPrimitives.WriteUInt64LittleEndian(_memBytes, value);
        if (_memory.Write(address, _memBytes.AsSpan(0, size)) is { } fault)
            throw MemoryFaultException(fault);
        NoteStore(address, size); // the store may have hit a code page: see X86Cpu.Fetch

    }

    private static X86FaultException MemoryFaultException(MemoryFault fault) =>
        new(fault.Reason, fault, fault.ToString());
}
