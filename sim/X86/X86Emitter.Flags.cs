using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;

namespace MicroKernel.X86;

// Lazy flags in compiled code. add, sub, cmp, neg, and, or, xor and test do not compute RFLAGS: they keep their
// operands and result in locals (fa, fb, fr) and what produced them, and RFLAGS is computed from those only where it
// is read whole: before a call-out (the interpreter, a TLB miss that may fault: a fault report shows RFLAGS), at the
// method's exit, before an instruction that merges flags (adc, sbb, inc, dec, shifts). A jcc tests its condition on
// the kept operands directly (cmp a, b; jl: a < b signed), so a loop's compare and branch cost two host instructions.
// Within a block the emitter knows which operation is pending; at a block's start (entered from the method's entry or
// chained from another block) it is in the local fkind, which chained branches set (QEMU calls this CC_OP).
public sealed partial class X86Cpu
{
    private sealed partial class BlockEmitter
    {
        /// <summary>An operation whose flags are pending; also the high bits of the fkind local (times 16, plus the size).</summary>
        private enum LazyOp { None = 0, Add = 1, Sub = 2, Logic = 3 }

        /// <summary>Where the emitter knows the flags to be at the code being emitted.</summary>
        private enum FlagState
        {
            /// <summary>The RFLAGS local is up to date.</summary>
            InRflags,
            /// <summary>The static operation _pendingOp of size _pendingSize is pending in fa, fb, fr.</summary>
            Pending,
            /// <summary>At a block's start: fkind says (0 = RFLAGS up to date).</summary>
            Dynamic,
        }

        private static readonly MethodInfo LazyFlagsMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.LazyFlags), BindingFlags.NonPublic | BindingFlags.Static)!;

        private LocalBuilder _fa = null!, _fb = null!, _fr = null!; // ulong: the pending operation's operands and result
        private LocalBuilder _fkind = null!;                       // int: LazyOp * 16 + size, or 0 (at a block's start)
        private FlagState _flagState;
        private LazyOp _pendingOp;
        private int _pendingSize;

        private void DeclareFlagLocals()
        {
            _fa = _il.DeclareLocal(typeof(ulong));
            _fb = _il.DeclareLocal(typeof(ulong));
            _fr = _il.DeclareLocal(typeof(ulong));
            _fkind = _il.DeclareLocal(typeof(int));
        }

        /// <summary>
        /// Emits code that brings the RFLAGS local up to date, without changing what the emitter assumes afterwards
        /// (for a path that leaves: an exit, a call-out's slow path). Computing the pending flags again is harmless.
        /// </summary>
        private void EmitMaterialize()
        {
            switch (_flagState)
            {
                case FlagState.Pending:
                    switch (_pendingOp)
                    {
                        case LazyOp.Add:
                        case LazyOp.Sub:
                            _il.Emit(OpCodes.Ldloc, _fa);
                            _il.Emit(OpCodes.Ldloc, _fb);
                            _il.Emit(OpCodes.Ldc_I8, 0L);
                            _il.Emit(OpCodes.Ldc_I4, _pendingSize);
                            _il.Emit(OpCodes.Ldloca, _rflags);
                            _il.Emit(OpCodes.Call, _pendingOp == LazyOp.Add ? AddFlagsMethod : SubFlagsMethod);
                            break;
                        default:
                            _il.Emit(OpCodes.Ldloc, _fr);
                            _il.Emit(OpCodes.Ldc_I4, _pendingSize);
                            _il.Emit(OpCodes.Ldloca, _rflags);
                            _il.Emit(OpCodes.Call, LogicFlagsMethod);
                            break;
                    }
                    _il.Emit(OpCodes.Pop);
                    return;
                case FlagState.Dynamic:
                    // rflags = LazyFlags(fkind, fa, fb, fr, rflags); fkind = 0 (this path now has RFLAGS up to date)
                    _il.Emit(OpCodes.Ldloc, _fkind);
                    _il.Emit(OpCodes.Ldloc, _fa);
                    _il.Emit(OpCodes.Ldloc, _fb);
                    _il.Emit(OpCodes.Ldloc, _fr);
                    _il.Emit(OpCodes.Ldloc, _rflags);
                    _il.Emit(OpCodes.Call, LazyFlagsMethod);
                    _il.Emit(OpCodes.Stloc, _rflags);
                    _il.Emit(OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Stloc, _fkind);
                    return;
                default:
                    return;
            }
        }

        /// <summary>Brings RFLAGS up to date before an instruction that reads or merges into it.</summary>
        private void Materialize()
        {
            EmitMaterialize();
            _flagState = FlagState.InRflags;
        }

        /// <summary>The RFLAGS local was just (re)loaded or written whole.</summary>
        private void FlagsInRflags() => _flagState = FlagState.InRflags;

        /// <summary>A block starts: the pending operation, if any, is in fkind.</summary>
        private void FlagsAtBlockStart() => _flagState = FlagState.Dynamic;

        /// <summary>Before a branch to another block of the method: tells it, in fkind, what is pending.</summary>
        private void PassFlags()
        {
            switch (_flagState)
            {
                case FlagState.InRflags:
                    _il.Emit(OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Stloc, _fkind);
                    return;
                case FlagState.Pending:
                    _il.Emit(OpCodes.Ldc_I4, (int)_pendingOp * 16 + _pendingSize);
                    _il.Emit(OpCodes.Stloc, _fkind);
                    return;
                default:
                    return; // fkind already says
            }
        }

        /// <summary>
        /// An add/sub/logic operation of size bytes set the flags (after its store succeeded): keep its operands and
        /// result (zero-extended to size) instead of computing RFLAGS.
        /// </summary>
        private void KeepFlags(LazyOp op, int size, LocalBuilder a, LocalBuilder? b, LocalBuilder result)
        {
            if (op != LazyOp.Logic)
            {
                _il.Emit(OpCodes.Ldloc, a);
                _il.Emit(OpCodes.Stloc, _fa);
                _il.Emit(OpCodes.Ldloc, b!);
                _il.Emit(OpCodes.Stloc, _fb);
            }
            _il.Emit(OpCodes.Ldloc, result);
            _il.Emit(OpCodes.Stloc, _fr);
            _flagState = FlagState.Pending;
            _pendingOp = op;
            _pendingSize = size;
        }

        /// <summary>
        /// Pushes 1 when the jcc's condition holds, else 0: on the pending operation's operands where that is a
        /// compare or a test of the result, else on RFLAGS (computed first).
        /// </summary>
        private void EmitCondition(ConditionCode cc)
        {
            if (_flagState == FlagState.Pending && EmitPendingCondition(cc))
                return;
            Materialize();
            EmitRflagsCondition(cc);
        }

        /// <summary>The condition on the pending operation, or false (nothing emitted) when RFLAGS is needed.</summary>
        private bool EmitPendingCondition(ConditionCode cc)
        {
            bool sub = _pendingOp == LazyOp.Sub, logic = _pendingOp == LazyOp.Logic;
            switch (cc)
            {
                case ConditionCode.e:
                case ConditionCode.ne:
                    _il.Emit(OpCodes.Ldloc, _fr);
                    _il.Emit(OpCodes.Ldc_I8, 0L);
                    _il.Emit(OpCodes.Ceq);
                    Negate(cc == ConditionCode.ne);
                    return true;
                case ConditionCode.s:
                case ConditionCode.ns:
                    PendingSign();
                    Negate(cc == ConditionCode.ns);
                    return true;
                case ConditionCode.b:
                case ConditionCode.ae:
                    if (logic)
                    {
                        _il.Emit(cc == ConditionCode.b ? OpCodes.Ldc_I4_0 : OpCodes.Ldc_I4_1); // CF = 0
                        return true;
                    }
                    // sub: borrow = a < b; add: carry = r < a (r kept at the operation's size)
                    _il.Emit(OpCodes.Ldloc, sub ? _fa : _fr);
                    _il.Emit(OpCodes.Ldloc, sub ? _fb : _fa);
                    _il.Emit(OpCodes.Clt_Un);
                    Negate(cc == ConditionCode.ae);
                    return true;
                case ConditionCode.be:
                case ConditionCode.a:
                    if (!sub)
                        return false;
                    _il.Emit(OpCodes.Ldloc, _fa); // a > b unsigned
                    _il.Emit(OpCodes.Ldloc, _fb);
                    _il.Emit(OpCodes.Cgt_Un);
                    Negate(cc == ConditionCode.be);
                    return true;
                case ConditionCode.l:
                case ConditionCode.ge:
                    if (logic)
                    {
                        PendingSign(); // OF = 0: SF != OF is SF
                        Negate(cc == ConditionCode.ge);
                        return true;
                    }
                    if (!sub)
                        return false;
                    SignedOperands();
                    _il.Emit(OpCodes.Clt);
                    Negate(cc == ConditionCode.ge);
                    return true;
                case ConditionCode.le:
                case ConditionCode.g:
                    if (logic)
                    {
                        PendingSign(); // ZF or SF
                        _il.Emit(OpCodes.Ldloc, _fr);
                        _il.Emit(OpCodes.Ldc_I8, 0L);
                        _il.Emit(OpCodes.Ceq);
                        _il.Emit(OpCodes.Or);
                        Negate(cc == ConditionCode.g);
                        return true;
                    }
                    if (!sub)
                        return false;
                    SignedOperands();
                    _il.Emit(OpCodes.Cgt);
                    Negate(cc == ConditionCode.le);
                    return true;
                default:
                    return false; // o, no, p, np: from RFLAGS
            }
        }

        /// <summary>Pushes the pending result's sign bit (at its size) as an int 0 or 1.</summary>
        private void PendingSign()
        {
            _il.Emit(OpCodes.Ldloc, _fr);
            _il.Emit(OpCodes.Ldc_I4, _pendingSize * 8 - 1);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Conv_I4);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.And);
        }

        /// <summary>Pushes fa and fb sign-extended from the pending size (for a signed compare).</summary>
        private void SignedOperands()
        {
            foreach (LocalBuilder operand in new[] { _fa, _fb })
            {
                _il.Emit(OpCodes.Ldloc, operand);
                switch (_pendingSize)
                {
                    case 1: _il.Emit(OpCodes.Conv_I1); _il.Emit(OpCodes.Conv_I8); break;
                    case 2: _il.Emit(OpCodes.Conv_I2); _il.Emit(OpCodes.Conv_I8); break;
                    case 4: _il.Emit(OpCodes.Conv_I4); _il.Emit(OpCodes.Conv_I8); break;
                    default: break;
                }
            }
        }

        /// <summary>Flips the int 0/1 on the stack when negate.</summary>
        private void Negate(bool negate)
        {
            if (!negate)
                return;
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Xor);
        }

        /// <summary>Pushes 1 when the condition holds on the block's RFLAGS, else 0 (X86Cpu.Condition, inline).</summary>
        private void EmitRflagsCondition(ConditionCode cc)
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
            Negate(negate);
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
    }
}
