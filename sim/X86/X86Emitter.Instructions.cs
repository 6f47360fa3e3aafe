using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;
using Label = System.Reflection.Emit.Label;

namespace MicroKernel.X86;

// IL for the instructions translated natively: the hot integer subset of gcc's output. Everything else calls the
// interpreter (X86Emitter.cs).
public sealed partial class X86Cpu
{
    private sealed partial class BlockEmitter
    {
        /// <summary>The groups of natively translated instructions.</summary>
        private enum NativeKind { None, Nop, Mov, Movzx, Movsx, Lea, Alu, IncDec, Neg, Not, Shift, Jcc, Jmp, Call, Ret, Push, Pop }

        /// <summary>How an instruction is translated; None = a call into the interpreter.</summary>
        private static NativeKind Classify(in Instruction ins)
        {
            NativeKind kind = ins.Mnemonic switch
            {
                Mnemonic.Nop or Mnemonic.Endbr64 or Mnemonic.Endbr32 or Mnemonic.Pause => NativeKind.Nop,
                Mnemonic.Mov => NativeKind.Mov,
                Mnemonic.Movzx => NativeKind.Movzx,
                Mnemonic.Movsx or Mnemonic.Movsxd => NativeKind.Movsx,
                Mnemonic.Lea => NativeKind.Lea,
                Mnemonic.Add or Mnemonic.Adc or Mnemonic.Sub or Mnemonic.Sbb or Mnemonic.And or Mnemonic.Or
                    or Mnemonic.Xor or Mnemonic.Cmp or Mnemonic.Test => NativeKind.Alu,
                Mnemonic.Inc or Mnemonic.Dec => NativeKind.IncDec,
                Mnemonic.Neg => NativeKind.Neg,
                Mnemonic.Not => NativeKind.Not,
                Mnemonic.Shl or Mnemonic.Sal or Mnemonic.Shr or Mnemonic.Sar => NativeKind.Shift,
                Mnemonic.Jo or Mnemonic.Jno or Mnemonic.Jb or Mnemonic.Jae or Mnemonic.Je or Mnemonic.Jne or Mnemonic.Jbe
                    or Mnemonic.Ja or Mnemonic.Js or Mnemonic.Jns or Mnemonic.Jp or Mnemonic.Jnp or Mnemonic.Jl
                    or Mnemonic.Jge or Mnemonic.Jle or Mnemonic.Jg => NativeKind.Jcc,
                Mnemonic.Jmp => NativeKind.Jmp,
                Mnemonic.Call => NativeKind.Call,
                Mnemonic.Ret => NativeKind.Ret,
                Mnemonic.Push => NativeKind.Push,
                Mnemonic.Pop => NativeKind.Pop,
                _ => NativeKind.None,
            };
            return kind != NativeKind.None && FormSupported(in ins, kind) ? kind : NativeKind.None;
        }

        /// <summary>Whether this form of the instruction is one the native code handles (else the interpreter runs it).</summary>
        private static bool FormSupported(in Instruction ins, NativeKind kind)
        {
            switch (kind)
            {
                case NativeKind.Nop:
                    return true;
                case NativeKind.Jcc:
                    return ins.Op0Kind == OpKind.NearBranch64;
                case NativeKind.Jmp:
                    return ins.Code is Code.Jmp_rel8_64 or Code.Jmp_rel32_64 or Code.Jmp_rm64 && OperandSupported(in ins, 0);
                case NativeKind.Call:
                    return ins.Code is Code.Call_rel32_64 or Code.Call_rm64 && OperandSupported(in ins, 0);
                case NativeKind.Ret:
                    return ins.Code is Code.Retnq or Code.Retnq_imm16;
                case NativeKind.Pop:
                    return ins.Op0Kind == OpKind.Register && RegSize[(int)ins.Op0Register] is 2 or 8;
                case NativeKind.Push:
                    return ins.StackPointerIncrement is -2 or -8 && OperandSupported(in ins, 0);
                case NativeKind.Lea:
                    return ins.Op0Kind == OpKind.Register && RegSize[(int)ins.Op0Register] != 0 && OperandSupported(in ins, 1);
                case NativeKind.Shift:
                    // A count in cl may be 0 at run time, which leaves the flags alone: the interpreter runs those.
                    return ins.Op1Kind == OpKind.Immediate8 && OperandSupported(in ins, 0)
                        && ins.Op0Kind is OpKind.Register or OpKind.Memory && OpSize(in ins, 0) is 1 or 2 or 4 or 8;
                default:
                    for (int op = 0; op < ins.OpCount; op++)
                        if (!OperandSupported(in ins, op))
                            return false;
                    // Operand 0 is the destination: a register or memory, never an immediate.
                    return ins.Op0Kind is OpKind.Register or OpKind.Memory && OpSize(in ins, 0) is 1 or 2 or 4 or 8;
            }
        }

        /// <summary>Whether the native code of this instruction can fault (it touches memory): rip is written first.</summary>
        private static bool MayFault(in Instruction ins, NativeKind kind) => kind switch
        {
            NativeKind.Nop or NativeKind.Lea or NativeKind.Jcc => false,
            NativeKind.Push or NativeKind.Pop or NativeKind.Call or NativeKind.Ret => true,
            _ => ins.Op0Kind == OpKind.Memory || (ins.OpCount > 1 && ins.Op1Kind == OpKind.Memory),
        };

        /// <summary>Whether the native code of this instruction stores to memory (so code may have changed).</summary>
        private static bool Stores(in Instruction ins, NativeKind kind) => kind switch
        {
            NativeKind.Push or NativeKind.Call => true,
            NativeKind.Mov or NativeKind.IncDec or NativeKind.Neg or NativeKind.Not => ins.Op0Kind == OpKind.Memory,
            NativeKind.Shift => ins.Op0Kind == OpKind.Memory && ShiftCount(in ins) != 0,
            NativeKind.Alu => ins.Op0Kind == OpKind.Memory && ins.Mnemonic is not (Mnemonic.Cmp or Mnemonic.Test),
            _ => false,
        };

        /// <summary>Emits one native instruction; returns true when it left the block itself (a branch, call or return).</summary>
        private bool EmitNative(in Instruction ins, NativeKind kind, bool flagsLive)
        {
            switch (kind)
            {
                case NativeKind.Nop:
                    return false;
                case NativeKind.Mov:
                    EmitMov(in ins);
                    return false;
                case NativeKind.Movzx:
                case NativeKind.Movsx:
                    EmitExtend(in ins, kind == NativeKind.Movsx);
                    return false;
                case NativeKind.Lea:
                    EffectiveAddress(in ins, lea: true);
                    _il.Emit(OpCodes.Stloc, _result);
                    StoreReg(ins.Op0Register, _result);
                    return false;
                case NativeKind.Alu:
                    EmitAlu(in ins, flagsLive);
                    return false;
                case NativeKind.IncDec:
                case NativeKind.Neg:
                case NativeKind.Not:
                    EmitUnary(in ins, kind, flagsLive);
                    return false;
                case NativeKind.Shift:
                    EmitShift(in ins, flagsLive);
                    return false;
                case NativeKind.Jcc:
                    EmitJcc(in ins);
                    return true;
                case NativeKind.Jmp:
                    EmitJmp(in ins);
                    return true;
                case NativeKind.Call:
                    EmitCall(in ins);
                    return true;
                case NativeKind.Ret:
                    EmitRet(in ins);
                    return true;
                case NativeKind.Push:
                    EmitPush(in ins);
                    return false;
                default:
                    EmitPop(in ins);
                    return false;
            }
        }

        private void EmitMov(in Instruction ins)
        {
            int size = OpSize(in ins, 0);
            PrepareAddress(in ins);
            LoadOperand(in ins, 1, size);
            _il.Emit(OpCodes.Stloc, _result);
            StoreOperand0(in ins, _result, size);
        }

        private void EmitExtend(in Instruction ins, bool signed)
        {
            int size = OpSize(in ins, 1);
            PrepareAddress(in ins);
            LoadOperand(in ins, 1, size);
            if (signed)
            {
                _il.Emit(size switch { 1 => OpCodes.Conv_I1, 2 => OpCodes.Conv_I2, 4 => OpCodes.Conv_I4, _ => OpCodes.Nop });
                _il.Emit(OpCodes.Conv_I8);
            }
            _il.Emit(OpCodes.Stloc, _result);
            StoreReg(ins.Op0Register, _result);
        }

        /// <summary>add, adc, sub, sbb, and, or, xor, cmp, test: with the interpreter's flag helpers when flags are live.</summary>
        private void EmitAlu(in Instruction ins, bool flagsLive)
        {
            int size = OpSize(in ins, 0);
            Mnemonic m = ins.Mnemonic;
            bool writes = m is not (Mnemonic.Cmp or Mnemonic.Test);
            PrepareAddress(in ins);
            LoadOperand(in ins, 0, size);
            _il.Emit(OpCodes.Stloc, _a);
            LoadOperand(in ins, 1, size);
            _il.Emit(OpCodes.Stloc, _b);
            if (flagsLive)
            {
                LoadFlagsLocal();
                _il.Emit(OpCodes.Ldloc, _a);
                _il.Emit(OpCodes.Ldloc, _b);
                MethodInfo helper;
                switch (m)
                {
                    case Mnemonic.Add:
                    case Mnemonic.Adc:
                    case Mnemonic.Sub:
                    case Mnemonic.Sbb:
                    case Mnemonic.Cmp:
                        if (m is Mnemonic.Adc or Mnemonic.Sbb)
                            CarryFrom(_flags);
                        else
                            _il.Emit(OpCodes.Ldc_I8, 0L);
                        helper = m is Mnemonic.Add or Mnemonic.Adc ? AddFlagsMethod : SubFlagsMethod;
                        break;
                    default:
                        _il.Emit(m switch { Mnemonic.Or => OpCodes.Or, Mnemonic.Xor => OpCodes.Xor, _ => OpCodes.And });
                        helper = LogicFlagsMethod;
                        break;
                }
                _il.Emit(OpCodes.Ldc_I4, size);
                _il.Emit(OpCodes.Ldloca, _flags);
                _il.Emit(OpCodes.Call, helper);
                _il.Emit(OpCodes.Stloc, _result);
                if (writes)
                    StoreOperand0(in ins, _result, size);
                StoreFlags(_flags); // only after the store succeeded
                return;
            }
            if (!writes)
                return; // cmp/test whose flags nobody reads: only the load (and its fault) mattered
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Ldloc, _b);
            switch (m)
            {
                case Mnemonic.Add:
                case Mnemonic.Adc:
                    _il.Emit(OpCodes.Add);
                    if (m == Mnemonic.Adc)
                    {
                        CarryFrom(null);
                        _il.Emit(OpCodes.Add);
                    }
                    Mask(size);
                    break;
                case Mnemonic.Sub:
                case Mnemonic.Sbb:
                    _il.Emit(OpCodes.Sub);
                    if (m == Mnemonic.Sbb)
                    {
                        CarryFrom(null);
                        _il.Emit(OpCodes.Sub);
                    }
                    Mask(size);
                    break;
                case Mnemonic.And: _il.Emit(OpCodes.And); break;
                case Mnemonic.Or: _il.Emit(OpCodes.Or); break;
                default: _il.Emit(OpCodes.Xor); break;
            }
            _il.Emit(OpCodes.Stloc, _result);
            StoreOperand0(in ins, _result, size);
        }

        /// <summary>Pushes CF (0 or 1) from a flags local, or from RFLAGS when null.</summary>
        private void CarryFrom(LocalBuilder? flags)
        {
            _il.Emit(OpCodes.Ldloc, flags ?? _rflags);
            _il.Emit(OpCodes.Ldc_I8, (long)X86Flags.CF);
            _il.Emit(OpCodes.And);
        }

        /// <summary>inc, dec, neg, not on a register or memory.</summary>
        private void EmitUnary(in Instruction ins, NativeKind kind, bool flagsLive)
        {
            int size = OpSize(in ins, 0);
            PrepareAddress(in ins);
            LoadOperand(in ins, 0, size);
            _il.Emit(OpCodes.Stloc, _a);
            bool flags = flagsLive && kind != NativeKind.Not;
            if (flags)
            {
                LoadFlagsLocal();
                if (kind == NativeKind.Neg)
                {
                    _il.Emit(OpCodes.Ldc_I8, 0L); // 0 - a: CF = (a != 0), as the interpreter computes it
                    _il.Emit(OpCodes.Ldloc, _a);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    _il.Emit(OpCodes.Ldc_I4, size);
                    _il.Emit(OpCodes.Ldloca, _flags);
                    _il.Emit(OpCodes.Call, SubFlagsMethod);
                }
                else
                {
                    _il.Emit(OpCodes.Ldloc, _a);
                    _il.Emit(OpCodes.Ldc_I4, size);
                    _il.Emit(OpCodes.Ldloca, _flags);
                    _il.Emit(OpCodes.Call, ins.Mnemonic == Mnemonic.Inc ? IncFlagsMethod : DecFlagsMethod);
                }
            }
            else
            {
                switch (kind)
                {
                    case NativeKind.Neg:
                        _il.Emit(OpCodes.Ldc_I8, 0L);
                        _il.Emit(OpCodes.Ldloc, _a);
                        _il.Emit(OpCodes.Sub);
                        break;
                    case NativeKind.Not:
                        _il.Emit(OpCodes.Ldloc, _a);
                        _il.Emit(OpCodes.Not);
                        break;
                    default:
                        _il.Emit(OpCodes.Ldloc, _a);
                        _il.Emit(OpCodes.Ldc_I8, 1L);
                        _il.Emit(ins.Mnemonic == Mnemonic.Inc ? OpCodes.Add : OpCodes.Sub);
                        break;
                }
                Mask(size);
            }
            _il.Emit(OpCodes.Stloc, _result);
            StoreOperand0(in ins, _result, size);
            if (flags)
                StoreFlags(_flags);
        }

        /// <summary>The count of a shift by an immediate, masked as the CPU masks it (5 bits, 6 for 64-bit operands).</summary>
        private static int ShiftCount(in Instruction ins) => (int)ins.Immediate8 & (OpSize(in ins, 0) == 8 ? 63 : 31);

        /// <summary>
        /// shl/sal, shr, sar by an immediate: the interpreter's helpers when the flags are live, else the plain shift.
        /// A masked count of 0 changes nothing but still writes a 32-bit register (zero-extending it).
        /// </summary>
        private void EmitShift(in Instruction ins, bool flagsLive)
        {
            int size = OpSize(in ins, 0);
            int count = ShiftCount(in ins);
            PrepareAddress(in ins);
            LoadOperand(in ins, 0, size); // read first: a memory operand faults even when the count is 0
            _il.Emit(OpCodes.Stloc, _a);
            if (count == 0)
            {
                if (size == 4 && ins.Op0Kind == OpKind.Register)
                    StoreReg(ins.Op0Register, _a);
                return;
            }
            Mnemonic m = ins.Mnemonic;
            if (flagsLive || m == Mnemonic.Sar)
            {
                LoadFlagsLocal();
                _il.Emit(OpCodes.Ldloc, _a);
                _il.Emit(OpCodes.Ldc_I4, count);
                _il.Emit(OpCodes.Ldc_I4, size);
                _il.Emit(OpCodes.Ldloca, _flags);
                _il.Emit(OpCodes.Call, m switch { Mnemonic.Shr => ShiftRightMethod, Mnemonic.Sar => ShiftArithmeticRightMethod, _ => ShiftLeftMethod });
                _il.Emit(OpCodes.Stloc, _result);
                StoreOperand0(in ins, _result, size);
                if (flagsLive)
                    StoreFlags(_flags);
                return;
            }
            _il.Emit(OpCodes.Ldloc, _a);
            _il.Emit(OpCodes.Ldc_I4, count);
            _il.Emit(m == Mnemonic.Shr ? OpCodes.Shr_Un : OpCodes.Shl);
            Mask(size);
            _il.Emit(OpCodes.Stloc, _result);
            StoreOperand0(in ins, _result, size);
        }

        /// <summary>jcc: go on at the target or the next instruction (chained inside the method where it can, GoTo).</summary>
        private void EmitJcc(in Instruction ins)
        {
            Label taken = _il.DefineLabel();
            EmitCondition(ins.ConditionCode);
            _il.Emit(OpCodes.Brtrue, taken);
            GoTo(ins.NextIP, stored: false);
            _il.MarkLabel(taken);
            GoTo(ins.NearBranch64, stored: false);
        }

        /// <summary>Pushes 1 when the condition holds on the block's RFLAGS, else 0 (X86Cpu.Condition, inline).</summary>
        private void EmitCondition(ConditionCode cc)
        {
            // Each condition is a bit of RFLAGS, or a combination; the "not" forms flip the result.
            bool negate = cc is ConditionCode.no or ConditionCode.ae or ConditionCode.ne or ConditionCode.a
                or ConditionCode.ns or ConditionCode.np or ConditionCode.ge or ConditionCode.g;
            switch (cc)
            {
                case ConditionCode.o or ConditionCode.no: FlagBit(11); break;
                case ConditionCode.b or ConditionCode.ae: FlagBit(0); break;
                case ConditionCode.e or ConditionCode.ne: FlagBit(6); break;
                case ConditionCode.s or ConditionCode.ns: FlagBit(7); break;
                case ConditionCode.p or ConditionCode.np: FlagBit(2); break;
                case ConditionCode.be or ConditionCode.a:
                    FlagBit(0);
                    FlagBit(6);
                    _il.Emit(OpCodes.Or);
                    break;
                case ConditionCode.l or ConditionCode.ge:
                    FlagBit(7);
                    FlagBit(11);
                    _il.Emit(OpCodes.Xor);
                    break;
                default: // le, g: ZF or SF != OF
                    FlagBit(6);
                    FlagBit(7);
                    FlagBit(11);
                    _il.Emit(OpCodes.Xor);
                    _il.Emit(OpCodes.Or);
                    break;
            }
            if (negate)
            {
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.Xor);
            }
        }

        /// <summary>Pushes bit n of the block's RFLAGS as an int 0 or 1.</summary>
        private void FlagBit(int n)
        {
            _il.Emit(OpCodes.Ldloc, _rflags);
            if (n != 0)
            {
                _il.Emit(OpCodes.Ldc_I4, n);
                _il.Emit(OpCodes.Shr_Un);
            }
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.And);
        }

        /// <summary>Pushes the target of a jmp or call: the relative target, or the 64-bit register or memory operand.</summary>
        private void LoadBranchTarget(in Instruction ins)
        {
            if (ins.Op0Kind == OpKind.NearBranch64)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)ins.NearBranch64);
                return;
            }
            PrepareAddress(in ins);
            LoadOperand(in ins, 0, 8);
        }

        private void EmitJmp(in Instruction ins)
        {
            if (ins.Op0Kind == OpKind.NearBranch64)
            {
                GoTo(ins.NearBranch64, stored: false);
                return;
            }
            LoadBranchTarget(in ins);
            _il.Emit(OpCodes.Stloc, _result);
            StoreRip(_result);
            LeaveBlock();
        }

        private void EmitCall(in Instruction ins)
        {
            LoadBranchTarget(in ins); // read the target (may fault) before pushing
            _il.Emit(OpCodes.Stloc, _result);
            _il.Emit(OpCodes.Ldc_I8, (long)ins.NextIP);
            _il.Emit(OpCodes.Stloc, _a);
            PushLocal(in ins, _a, 8);
            if (ins.Op0Kind == OpKind.NearBranch64)
            {
                GoTo(ins.NearBranch64, stored: true); // the push may have written code
                return;
            }
            StoreRip(_result);
            LeaveBlock();
        }

        /// <summary>Pushes a local: stores it at rsp - size first (if that faults, rsp is unchanged), then moves rsp.</summary>
        private void PushLocal(in Instruction ins, LocalBuilder value, int size)
        {
            LoadReg(Register.RSP);
            _il.Emit(OpCodes.Ldc_I8, (long)size);
            _il.Emit(OpCodes.Sub);
            _il.Emit(OpCodes.Stloc, _address);
            StoreMemory(in ins, value, size);
            StoreReg(Register.RSP, _address);
        }

        /// <summary>Loads size bytes at rsp into _result (may fault: rsp is not changed before it).</summary>
        private void LoadTop(in Instruction ins, int size)
        {
            LoadReg(Register.RSP);
            _il.Emit(OpCodes.Stloc, _address);
            LoadMemory(in ins, size);
            _il.Emit(OpCodes.Stloc, _result);
        }

        /// <summary>rsp += count.</summary>
        private void ReleaseStack(ulong count)
        {
            LoadReg(Register.RSP);
            _il.Emit(OpCodes.Ldc_I8, (long)count);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _a);
            StoreReg(Register.RSP, _a);
        }

        private void EmitRet(in Instruction ins)
        {
            LoadTop(in ins, 8);
            ReleaseStack(8 + (ins.Code == Code.Retnq_imm16 ? ins.Immediate16 : 0UL)); // ret imm16 also drops the arguments
            StoreRip(_result);
            LeaveBlock();
        }

        private void EmitPush(in Instruction ins)
        {
            int size = -ins.StackPointerIncrement; // 8, or 2 with a 0x66 prefix
            PrepareAddress(in ins);
            LoadOperand(in ins, 0, size); // "push rsp" pushes the value before the decrement
            _il.Emit(OpCodes.Stloc, _b);
            PushLocal(in ins, _b, size);
        }

        private void EmitPop(in Instruction ins)
        {
            int size = ins.StackPointerIncrement;
            LoadTop(in ins, size);
            ReleaseStack((ulong)size);
            StoreReg(ins.Op0Register, _result); // "pop rsp" ends with the popped value
        }

        private void StoreRip(LocalBuilder value)
        {
            _il.Emit(OpCodes.Ldloc, _regs);
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Stfld, RipField);
        }
    }
}
