using System.Reflection.Emit;
using Iced.Intel;
using Label = System.Reflection.Emit.Label;

namespace MicroKernel.X86;

// IL for operands: general-purpose registers with x86-64's partial-register rules, effective addresses, memory.
public sealed partial class X86Cpu
{
    private sealed partial class BlockEmitter
    {
        /// <summary>Whether an operand is one the native code handles: a general-purpose register, a plain memory operand or an immediate.</summary>
        private static bool OperandSupported(in Instruction ins, int op)
        {
            switch (ins.GetOpKind(op))
            {
                case OpKind.Register:
                    return RegSize[(int)ins.GetOpRegister(op)] != 0;
                case OpKind.Memory:
                    Register b = ins.MemoryBase, x = ins.MemoryIndex;
                    return (b is Register.None or Register.RIP or Register.EIP || RegSize[(int)b] is 4 or 8)
                        && (x == Register.None || RegSize[(int)x] is 4 or 8);
                case OpKind.Immediate8:
                case OpKind.Immediate16:
                case OpKind.Immediate32:
                case OpKind.Immediate64:
                case OpKind.Immediate8to16:
                case OpKind.Immediate8to32:
                case OpKind.Immediate8to64:
                case OpKind.Immediate32to64:
                case OpKind.NearBranch64:
                    return true;
                default:
                    return false;
            }
        }

        /// <summary>
        /// Gives each general-purpose register the block's native code uses an IL local (the JIT keeps them in host
        /// registers): operands, address bases and indexes, and rsp for the stack instructions.
        /// </summary>
        private void DeclareRegisterLocals(Instruction[] code)
        {
            foreach (Instruction ins in code)
            {
                NativeKind kind = Classify(in ins);
                if (kind == NativeKind.None)
                    continue;
                if (kind is NativeKind.Push or NativeKind.Pop or NativeKind.Call or NativeKind.Ret)
                    UseRegister(Register.RSP);
                for (int op = 0; op < ins.OpCount; op++)
                {
                    if (ins.GetOpKind(op) == OpKind.Register)
                        UseRegister(ins.GetOpRegister(op));
                    else if (ins.GetOpKind(op) == OpKind.Memory)
                    {
                        UseRegister(ins.MemoryBase);
                        UseRegister(ins.MemoryIndex);
                    }
                }
            }
        }

        private void UseRegister(Register r)
        {
            if (RegSize[(int)r] == 0)
                return; // none, rip, a segment or another register file
            int index = RegIndex[(int)r];
            _reg[index] ??= _il.DeclareLocal(typeof(ulong));
        }

        /// <summary>Reads the used registers and RFLAGS from the register file into their locals.</summary>
        private void LoadRegisterLocals()
        {
            for (int i = 0; i < _reg.Length; i++)
            {
                if (_reg[i] is not { } local)
                    continue;
                _il.Emit(OpCodes.Ldloc, _gpr);
                if (i != 0)
                {
                    _il.Emit(OpCodes.Ldc_I4, i * 8);
                    _il.Emit(OpCodes.Add);
                }
                _il.Emit(OpCodes.Ldind_I8);
                _il.Emit(OpCodes.Stloc, local);
            }
            _il.Emit(OpCodes.Ldloc, _regs);
            _il.Emit(OpCodes.Ldfld, RflagsField);
            _il.Emit(OpCodes.Stloc, _rflags);
        }

        /// <summary>
        /// Writes the locals back to the register file: at every exit and before every call-out that can see the
        /// registers (the interpreter, a memory access that misses the TLB and may fault, a page check).
        /// </summary>
        private void WriteBackRegisters()
        {
            for (int i = 0; i < _reg.Length; i++)
            {
                if (_reg[i] is not { } local)
                    continue;
                _il.Emit(OpCodes.Ldloc, _gpr);
                if (i != 0)
                {
                    _il.Emit(OpCodes.Ldc_I4, i * 8);
                    _il.Emit(OpCodes.Add);
                }
                _il.Emit(OpCodes.Ldloc, local);
                _il.Emit(OpCodes.Stind_I8);
            }
            _il.Emit(OpCodes.Ldloc, _regs);
            _il.Emit(OpCodes.Ldloc, _rflags);
            _il.Emit(OpCodes.Stfld, RflagsField);
        }

        /// <summary>Pushes a register's value, zero-extended to 64 bits (al, ah, ax, eax, rax...).</summary>
        private void LoadReg(Register r)
        {
            int k = (int)r;
            _il.Emit(OpCodes.Ldloc, _reg[RegIndex[k]]!);
            if (RegShift[k] != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, (int)RegShift[k]); // ah, ch, dh, bh: bits 8..15
                _il.Emit(OpCodes.Shr_Un);
            }
            Mask(RegSize[k]);
        }

        /// <summary>Writes a local to a register: 32-bit writes zero-extend into the 64-bit register, 8/16-bit writes merge.</summary>
        private void StoreReg(Register r, LocalBuilder value)
        {
            int k = (int)r;
            int size = RegSize[k];
            LocalBuilder reg = _reg[RegIndex[k]]!;
            if (size is 8 or 4)
            {
                _il.Emit(OpCodes.Ldloc, value);
                Mask(size);
                _il.Emit(OpCodes.Stloc, reg);
                return;
            }
            // reg = (reg & ~(mask << shift)) | ((value & mask) << shift)
            int shift = RegShift[k];
            ulong mask = SizeMask[size] << shift;
            _il.Emit(OpCodes.Ldloc, reg);
            _il.Emit(OpCodes.Ldc_I8, (long)~mask);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Ldloc, value);
            Mask(size);
            if (shift != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, shift);
                _il.Emit(OpCodes.Shl);
            }
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Stloc, reg);
        }

        /// <summary>Truncates the 64-bit value on the stack to size bytes (zero-extended again).</summary>
        private void Mask(int size)
        {
            switch (size)
            {
                case 4: _il.Emit(OpCodes.Conv_U4); break;
                case 2: _il.Emit(OpCodes.Conv_U2); break;
                case 1: _il.Emit(OpCodes.Conv_U1); break;
                default: return;
            }
            _il.Emit(OpCodes.Conv_U8);
        }

        /// <summary>
        /// Pushes the memory operand's address, as X86Cpu.EffectiveAddress (or Lea, without the segment base)
        /// computes it: displacement + base + index * scale, 32-bit with a 0x67 prefix, plus the FS/GS base.
        /// </summary>
        private void EffectiveAddress(in Instruction ins, bool lea)
        {
            _il.Emit(OpCodes.Ldc_I8, (long)ins.MemoryDisplacement64); // rip-relative: already the absolute address
            Register baseReg = ins.MemoryBase, indexReg = ins.MemoryIndex;
            bool address32 = baseReg == Register.EIP;
            if (baseReg is not (Register.None or Register.RIP or Register.EIP))
            {
                LoadReg(baseReg);
                _il.Emit(OpCodes.Add);
                address32 |= RegSize[(int)baseReg] == 4;
            }
            if (indexReg != Register.None)
            {
                LoadReg(indexReg);
                int scale = ins.MemoryIndexScale;
                if (scale > 1)
                {
                    _il.Emit(OpCodes.Ldc_I4, System.Numerics.BitOperations.Log2((uint)scale));
                    _il.Emit(OpCodes.Shl);
                }
                _il.Emit(OpCodes.Add);
                address32 |= RegSize[(int)indexReg] == 4;
            }
            if (address32)
                Mask(4);
            if (lea)
                return;
            if (ins.SegmentPrefix is Register.FS or Register.GS)
            {
                _il.Emit(OpCodes.Ldloc, _regs);
                _il.Emit(OpCodes.Ldfld, ins.SegmentPrefix == Register.FS ? FsBaseField : GsBaseField);
                _il.Emit(OpCodes.Add);
            }
        }

        /// <summary>If the instruction has a memory operand (other than lea's), computes its address into _address once.</summary>
        private void PrepareAddress(in Instruction ins)
        {
            for (int op = 0; op < ins.OpCount; op++)
            {
                if (ins.GetOpKind(op) == OpKind.Memory)
                {
                    EffectiveAddress(in ins, lea: false);
                    _il.Emit(OpCodes.Stloc, _address);
                    return;
                }
            }
        }

        /// <summary>Pushes operand op as a size-byte value, zero-extended (a memory operand loads from _address: may fault).</summary>
        private void LoadOperand(in Instruction ins, int op, int size)
        {
            switch (ins.GetOpKind(op))
            {
                case OpKind.Register:
                    LoadReg(ins.GetOpRegister(op));
                    return;
                case OpKind.Memory:
                    LoadMemory(in ins, size);
                    return;
                default:
                    // Iced sign-extends the "to" forms to 64 bits; keep the operand's width, as ReadOp does.
                    _il.Emit(OpCodes.Ldc_I8, (long)(ins.GetImmediate(op) & SizeMask[size]));
                    return;
            }
        }

        /// <summary>Writes a local to operand 0 (register, or memory at _address: may fault).</summary>
        private void StoreOperand0(in Instruction ins, LocalBuilder value, int size)
        {
            if (ins.Op0Kind == OpKind.Register)
            {
                StoreReg(ins.Op0Register, value);
                return;
            }
            StoreMemory(in ins, value, size);
        }

        /// <summary>Stores the local into RFLAGS (the block's RFLAGS local).</summary>
        private void StoreFlags(LocalBuilder value)
        {
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Stloc, _rflags);
        }

        /// <summary>Copies RFLAGS into _flags (the helpers update it by reference; it is stored back after the store).</summary>
        private void LoadFlagsLocal()
        {
            _il.Emit(OpCodes.Ldloc, _rflags);
            _il.Emit(OpCodes.Stloc, _flags);
        }
    }
}
