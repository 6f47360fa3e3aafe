using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;
using Label = System.Reflection.Emit.Label;

namespace MicroKernel.X86;

public sealed partial class X86Cpu
{
    /// <summary>
    /// Emits a region (a hot block and the blocks chained to it, X86BlockTranslator.cs) as one <see cref="DynamicMethod"/>
    /// <c>long Region(X86Block[] region, X86Cpu cpu, int entry)</c> (bound to the region's blocks) that starts at
    /// block entry, works on the CPU's registers in place and returns how many instructions retired.
    /// </summary>
    /// <remarks>
    /// The rules that keep it exactly the interpreter:
    /// <list type="bullet">
    /// <item>Before each call-out that can fault, the code writes rip = that instruction, the registers, and which
    /// block it is in with the count retired before it, so a fault reports the instruction and the run loop knows how
    /// many instructions retired; each instruction reads its inputs and does its store before it changes a register,
    /// as the interpreter's handlers do.</item>
    /// <item>Memory takes the TLB hit inline, as Mmu.Translate's hit and PhysicalMemory.Slice do it (X86Emitter.Memory.cs),
    /// or calls the interpreter's ReadMem/WriteMem (the same IX86Memory calls in the same order, the same faults).</item>
    /// <item>After a store that may have hit code the page is re-validated, as the interpreter's next fetch does;
    /// if it changed, the code returns early and the run loop decodes the new code.</item>
    /// <item>A branch to a block of the region goes on inside the method only while the budget covers that block
    /// whole (what the run loop asks of a compiled block), so scheduling points fall where the interpreter puts
    /// them; otherwise it returns to the run loop.</item>
    /// <item>Flags are kept only when live: read later in the block, live at its exit (always assumed), or
    /// needed by an instruction that can fault or that the interpreter runs (both see RFLAGS whole); and lazily
    /// (X86Emitter.Flags.cs): RFLAGS is computed from the kept operands only where it is read whole.</item>
    /// <item>An instruction not translated natively is one call into the interpreter's Execute.</item>
    /// </list>
    /// </remarks>
    private sealed partial class BlockEmitter
    {
        private const BindingFlags Private = BindingFlags.NonPublic | BindingFlags.Instance;
        private const BindingFlags PrivateStatic = BindingFlags.NonPublic | BindingFlags.Static;

        private static readonly FieldInfo RegsField = typeof(X86Cpu).GetField(nameof(X86Cpu._regs), Private)!;
        private static readonly FieldInfo CodeStaleField = typeof(X86Cpu).GetField(nameof(X86Cpu._codeStale), Private)!;
        private static readonly FieldInfo GprField = typeof(X86Registers).GetField(nameof(X86Registers.Gpr))!;
        private static readonly FieldInfo RipField = typeof(X86Registers).GetField(nameof(X86Registers.Rip))!;
        private static readonly FieldInfo RflagsField = typeof(X86Registers).GetField(nameof(X86Registers.Rflags))!;
        private static readonly FieldInfo FsBaseField = typeof(X86Registers).GetField(nameof(X86Registers.FsBase))!;
        private static readonly FieldInfo GsBaseField = typeof(X86Registers).GetField(nameof(X86Registers.GsBase))!;
        private static readonly MethodInfo InterpretMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.InterpretInBlock), BindingFlags.NonPublic | BindingFlags.Instance)!;
        private static readonly MethodInfo CodeUnchangedMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.CodeUnchanged), BindingFlags.NonPublic | BindingFlags.Instance)!;
        private static readonly MethodInfo AddFlagsMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.AddFlags), PrivateStatic)!;
        private static readonly MethodInfo SubFlagsMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.SubFlags), PrivateStatic)!;
        private static readonly MethodInfo LogicFlagsMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.LogicFlags), PrivateStatic)!;
        private static readonly MethodInfo ShiftLeftMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.ShiftLeft), PrivateStatic)!;
        private static readonly MethodInfo ShiftRightMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.ShiftRight), PrivateStatic)!;
        private static readonly MethodInfo ShiftArithmeticRightMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.ShiftArithmeticRight), PrivateStatic)!;
        private static readonly MethodInfo IncFlagsMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.IncFlags), BindingFlags.NonPublic | BindingFlags.Static)!;
        private static readonly MethodInfo DecFlagsMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.DecFlags), BindingFlags.NonPublic | BindingFlags.Static)!;

        private static readonly FieldInfo BudgetField = typeof(X86Cpu).GetField(nameof(X86Cpu._budget), Private)!;
        private static readonly FieldInfo LoopRetiredField = typeof(X86Cpu).GetField(nameof(X86Cpu._loopRetired), Private)!;
        private static readonly FieldInfo RunningIndexField = typeof(X86Cpu).GetField(nameof(X86Cpu._runningIndex), Private)!;

        private readonly X86Block[] _region;
        private readonly Dictionary<ulong, int> _chainable = []; // block start -> index, for the blocks a branch may go on to
        private readonly DynamicMethod _method;
        private readonly ILGenerator _il;
        private readonly LocalBuilder _regs;     // ref X86Registers: cpu._regs
        private readonly LocalBuilder _gpr;      // ref ulong: rax, the first of the 16 general-purpose registers
        private readonly LocalBuilder _a, _b, _result, _flags, _address, _loaded; // ulong temporaries of one instruction
        private readonly LocalBuilder _rflags;   // RFLAGS while the code runs (written back at exits and call-outs)
        private readonly LocalBuilder _retired;  // long: instructions retired by the blocks (turns) before the current one
        private readonly LocalBuilder _limit;    // long: the budget when the code was entered
        private readonly LocalBuilder?[] _reg = new LocalBuilder?[16]; // the guest registers the native code uses
        private readonly Label[] _starts;        // each block's first instruction
        private readonly Label _exit;
        private int _current;                    // the block being emitted
        private readonly bool _inlineHits;       // take TLB hits inline (X86Emitter.Memory.cs)
        private readonly bool _hitHelper;        // else call the hit helper first (the CPU's InlineTlbHits is off)
        private bool[] _flagsLive = [];

        /// <summary>Instructions emitted as native IL, and those that call the interpreter.</summary>
        public int NativeCount { get; private set; }

        /// <inheritdoc cref="NativeCount"/>
        public int InterpretedCount { get; private set; }

        /// <param name="region">The blocks, the hot one first, all on one code page.</param>
        /// <param name="noChain">A block start that a branch must not go on to inside the method (the return address).</param>
        /// <param name="inlineHits">Whether memory accesses take the TLB hit inline (the CPU runs in a paged space).</param>
        /// <param name="hitHelper">Otherwise, whether they call the TLB-hit helper before the call-out.</param>
        public BlockEmitter(X86Block[] region, ulong? noChain, bool inlineHits, bool hitHelper)
        {
            _region = region;
            _inlineHits = inlineHits;
            _hitHelper = hitHelper;
            for (int k = 0; k < region.Length; k++)
            {
                ulong start = region[k].Instructions[0].IP;
                if (start != noChain)
                    _chainable.TryAdd(start, k);
            }
            _method = new DynamicMethod($"x86_block_{region[0].Instructions[0].IP:x}", typeof(long),
                [typeof(X86Block[]), typeof(X86Cpu), typeof(int)], typeof(X86Cpu), skipVisibility: true);
            _il = _method.GetILGenerator();
            _regs = _il.DeclareLocal(typeof(X86Registers).MakeByRefType());
            _gpr = _il.DeclareLocal(typeof(ulong).MakeByRefType());
            _a = _il.DeclareLocal(typeof(ulong));
            _b = _il.DeclareLocal(typeof(ulong));
            _result = _il.DeclareLocal(typeof(ulong));
            _flags = _il.DeclareLocal(typeof(ulong));
            _address = _il.DeclareLocal(typeof(ulong));
            _loaded = _il.DeclareLocal(typeof(ulong));
            _rflags = _il.DeclareLocal(typeof(ulong));
            _retired = _il.DeclareLocal(typeof(long));
            _limit = _il.DeclareLocal(typeof(long));
            DeclareFlagLocals();
            _starts = [.. region.Select(_ => _il.DefineLabel())];
            _exit = _il.DefineLabel();
        }

        /// <summary>Emits the whole region and returns its code, bound to the region's blocks.</summary>
        public X86BlockCode Emit()
        {
            foreach (X86Block block in _region)
                DeclareRegisterLocals(block.Instructions);
            // regs = ref cpu._regs; gpr = ref regs.Gpr[0]; the guest registers and RFLAGS into locals
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldflda, RegsField);
            _il.Emit(OpCodes.Stloc, _regs);
            _il.Emit(OpCodes.Ldloc, _regs);
            _il.Emit(OpCodes.Ldflda, GprField);
            _il.Emit(OpCodes.Stloc, _gpr);
            LoadRegisterLocals();
            LoadHitLocals();
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, BudgetField);
            _il.Emit(OpCodes.Stloc, _limit);
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Stloc, _retired);
            _il.Emit(OpCodes.Ldc_I4_0);
            _il.Emit(OpCodes.Stloc, _fkind); // RFLAGS is up to date on entry
            if (_region.Length > 1)
            {
                _il.Emit(OpCodes.Ldarg_2);
                _il.Emit(OpCodes.Switch, _starts);
            }
            for (_current = 0; _current < _region.Length; _current++)
                EmitBlock(_region[_current].Instructions);
            _il.MarkLabel(_exit);
            WriteBackRegisters();
            WriteHits();
            _il.Emit(OpCodes.Ldloc, _retired);
            _il.Emit(OpCodes.Ret);
            return (X86BlockCode)_method.CreateDelegate(typeof(X86BlockCode), _region);
        }

        /// <summary>Emits one block of the region, from its start label to the branch that leaves it.</summary>
        private void EmitBlock(Instruction[] code)
        {
            _il.MarkLabel(_starts[_current]);
            FlagsAtBlockStart();
            _flagsLive = FlagLiveness(code);
            bool ended = false; // the last instruction left the block itself (a branch, call or return)
            for (int i = 0; i < code.Length; i++)
            {
                ref readonly Instruction ins = ref code[i];
                bool last = i == code.Length - 1;
                NativeKind kind = Classify(in ins);
                if (kind == NativeKind.None)
                {
                    // The interpreter sees and may change every register: write them back, read them again after.
                    BeforeCallOut(ins.IP);
                    _il.Emit(OpCodes.Ldarg_1);
                    LoadCurrentBlock();
                    _il.Emit(OpCodes.Ldc_I4, i);
                    _il.Emit(OpCodes.Call, InterpretMethod);
                    LoadRegisterLocals();
                    FlagsInRflags();
                    InterpretedCount++;
                    if (last)
                    {
                        LeaveBlock(); // Execute set rip (past it, or the branch target)
                        ended = true;
                    }
                    else
                        ExitIfCodeChanged(in ins, i);
                    continue;
                }
                NativeCount++;
                ended = EmitNative(in ins, kind, _flagsLive[i]);
                if (!last && Stores(in ins, kind))
                    ExitIfCodeChanged(in ins, i);
            }
            if (!ended)
                GoTo(code[^1].NextIP, stored: false); // the block was cut short: the next instruction follows
        }

        /// <summary>Returns the instructions retired: the blocks (turns) before the current one plus count in it.</summary>
        private void ReturnRetired(int count)
        {
            WriteHits();
            _il.Emit(OpCodes.Ldloc, _retired);
            _il.Emit(OpCodes.Ldc_I8, (long)count);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Ret);
        }

        /// <summary>The current block retired whole and rip is set: return to the run loop.</summary>
        private void LeaveBlock()
        {
            EmitMaterialize();
            AddRetired(_region[_current].Length);
            _il.Emit(OpCodes.Br, _exit);
        }

        private void AddRetired(int count)
        {
            _il.Emit(OpCodes.Ldloc, _retired);
            _il.Emit(OpCodes.Ldc_I8, (long)count);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _retired);
        }

        /// <summary>
        /// The current block retired whole and goes on at target. If target starts a block of the region, the code
        /// goes on there inside the method (the chain, or a loop when it is the block itself) while the budget covers
        /// that block whole, so the scheduling point falls where the interpreter puts it, and no store may have
        /// changed code (stored: the last instruction stored); otherwise rip = target and back to the run loop.
        /// </summary>
        private void GoTo(ulong target, bool stored)
        {
            int length = _region[_current].Length;
            if (_chainable.TryGetValue(target, out int next))
            {
                Label exit = _il.DefineLabel();
                _il.Emit(OpCodes.Ldloc, _retired);
                _il.Emit(OpCodes.Ldc_I8, (long)(length + _region[next].Length));
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Ldloc, _limit);
                _il.Emit(OpCodes.Bgt, exit);
                if (stored)
                {
                    _il.Emit(OpCodes.Ldarg_1);
                    _il.Emit(OpCodes.Ldfld, CodeStaleField);
                    _il.Emit(OpCodes.Brtrue, exit);
                }
                AddRetired(length);
                PassFlags();
                _il.Emit(OpCodes.Br, _starts[next]);
                _il.MarkLabel(exit);
            }
            SetRip(target);
            LeaveBlock();
        }

        /// <summary>
        /// Before a call-out that can fault or see the registers: RFLAGS computed, the registers and rip = the instruction in place,
        /// and the block it is in with the count before it, for the run loop's count if it faults.
        /// </summary>
        private void BeforeCallOut(ulong rip)
        {
            EmitMaterialize();
            WriteBackRegisters();
            WriteHits();
            SetRip(rip);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldc_I4, _current);
            _il.Emit(OpCodes.Stfld, RunningIndexField);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _retired);
            _il.Emit(OpCodes.Stfld, LoopRetiredField);
        }

        /// <summary>Pushes the X86Block being emitted (the method is bound to the region's array).</summary>
        private void LoadCurrentBlock()
        {
            _il.Emit(OpCodes.Ldarg_0);
            _il.Emit(OpCodes.Ldc_I4, _current);
            _il.Emit(OpCodes.Ldelem_Ref);
        }

        /// <summary>
        /// After instruction index stored to memory: if the store may have hit code (cpu._codeStale) and the page
        /// changed, return index + 1 with rip at the next instruction; the run loop then decodes the new code.
        /// </summary>
        private void ExitIfCodeChanged(in Instruction ins, int index)
        {
            Label goOn = _il.DefineLabel();
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldfld, CodeStaleField);
            _il.Emit(OpCodes.Brfalse, goOn);
            BeforeCallOut(ins.NextIP); // checking the page may fault the next fetch: the registers must be in place
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldc_I8, (long)ins.NextIP);
            _il.Emit(OpCodes.Call, CodeUnchangedMethod);
            _il.Emit(OpCodes.Brtrue, goOn);
            ReturnRetired(index + 1);
            _il.MarkLabel(goOn);
        }

        /// <summary>
        /// For each instruction that writes the status flags natively: whether any flag it writes may be read
        /// before the next instruction overwrites it. Everything is live at the block's exit, before an instruction
        /// that can fault (a fault report shows RFLAGS) and before one the interpreter runs (it may read any flag).
        /// </summary>
        private static bool[] FlagLiveness(Instruction[] code)
        {
            var live = new bool[code.Length];
            ulong liveAfter = X86Flags.Status;
            for (int i = code.Length - 1; i >= 0; i--)
            {
                ref readonly Instruction ins = ref code[i];
                NativeKind kind = Classify(in ins);
                ulong written = FlagsWritten(in ins, kind);
                live[i] = (liveAfter & written) != 0;
                if (kind == NativeKind.None || MayFault(in ins, kind))
                    liveAfter = X86Flags.Status;
                else
                    liveAfter = (liveAfter & ~written) | FlagsRead(in ins, kind);
            }
            return live;
        }

        private static ulong FlagsWritten(in Instruction ins, NativeKind kind) => kind switch
        {
            NativeKind.Alu or NativeKind.Neg => X86Flags.Status,
            NativeKind.Shift => ShiftCount(in ins) == 0 ? 0 : X86Flags.Status,
            NativeKind.IncDec => X86Flags.Status & ~X86Flags.CF,
            _ => 0,
        };

        private static ulong FlagsRead(in Instruction ins, NativeKind kind) => kind switch
        {
            NativeKind.Jcc => X86Flags.Status, // the run loop's exit keeps them all live anyway
            NativeKind.Alu when ins.Mnemonic is Mnemonic.Adc or Mnemonic.Sbb => X86Flags.CF,
            NativeKind.IncDec => X86Flags.CF, // kept as it was: read back into RFLAGS
            _ => 0,
        };

        /// <summary>Sets cpu.Registers.Rip to a constant.</summary>
        private void SetRip(ulong rip)
        {
            _il.Emit(OpCodes.Ldloc, _regs);
            _il.Emit(OpCodes.Ldc_I8, (long)rip);
            _il.Emit(OpCodes.Stfld, RipField);
        }
    }
}
