using System.Reflection;
using System.Reflection.Emit;
using Iced.Intel;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Paging;
using Label = System.Reflection.Emit.Label;

namespace MicroKernel.X86;

// IL for memory operands: the TLB hit inline, the MMU/MPU path (a call-out) on a miss (X86Cpu.DirectMemory.cs).
public sealed partial class X86Cpu
{
    private sealed partial class BlockEmitter
    {
        private static readonly FieldInfo TlbEntriesField = typeof(X86Cpu).GetField(nameof(X86Cpu._tlbEntries), Private)!;
        private static readonly FieldInfo TlbMaskField = typeof(X86Cpu).GetField(nameof(X86Cpu._tlbMask), Private)!;
        private static readonly FieldInfo RamField = typeof(X86Cpu).GetField(nameof(X86Cpu._ram), Private)!;
        private static readonly FieldInfo GenerationsField = typeof(X86Cpu).GetField(nameof(X86Cpu._generations), Private)!;
        private static readonly FieldInfo DirectHitsField = typeof(X86Cpu).GetField(nameof(X86Cpu._directHits), Private)!;
        private static readonly FieldInfo CodePageFilterField = typeof(X86Cpu).GetField(nameof(X86Cpu._codePageFilter), Private)!;
        private static readonly FieldInfo TagField = typeof(TlbEntry).GetField(nameof(TlbEntry.Tag))!;
        private static readonly FieldInfo FrameBaseField = typeof(TlbEntry).GetField(nameof(TlbEntry.FrameBase))!;
        private static readonly FieldInfo AllowedField = typeof(TlbEntry).GetField(nameof(TlbEntry.Allowed))!;
        private static readonly MethodInfo LoadCallOutMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.LoadCallOut), Private)!;
        private static readonly MethodInfo StoreCallOutMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.StoreCallOut), Private)!;
        private static readonly MethodInfo TryLoadDirectMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.TryLoadDirect), Private)!;
        private static readonly MethodInfo TryStoreDirectMethod = typeof(X86Cpu).GetMethod(nameof(X86Cpu.TryStoreDirect), Private)!;

        // The inlined hit's locals, declared when the region accesses memory natively (null otherwise): the CPU's
        // _tlbEntries, _tlbMask, _ram and _generations read once at entry, the entry of the access being checked, its
        // physical address, and the hits taken since entry (written to cpu._directHits before call-outs and at exits).
        private LocalBuilder? _tlb, _tlbMask, _ram, _generations, _entry, _pa, _hits;

        /// <summary>Whether the region has a native instruction that reads or writes memory (lea does not).</summary>
        private bool AccessesMemory()
        {
            foreach (X86Block block in _region)
                foreach (Instruction ins in block.Instructions)
                {
                    NativeKind kind = Classify(in ins);
                    if (kind is NativeKind.Push or NativeKind.Pop or NativeKind.Call or NativeKind.Ret)
                        return true;
                    if (kind == NativeKind.None || ins.Mnemonic == Mnemonic.Lea)
                        continue;
                    for (int op = 0; op < ins.OpCount; op++)
                        if (ins.GetOpKind(op) == OpKind.Memory)
                            return true;
                }
            return false;
        }

        /// <summary>At the method's entry, if hits are inlined: what they read, into locals (the JIT keeps them in registers).</summary>
        private void LoadHitLocals()
        {
            if (!_inlineHits || !AccessesMemory())
                return;
            // The TLB and the generations as references to their first element, indexed without a bounds check:
            // a TLB index is masked to the array's length, and a frame's generation is bumped only after the store to
            // RAM (bounds-checked, as a bad frame in a PTE must not write past RAM) showed that the frame exists.
            _tlb = _il.DeclareLocal(typeof(TlbEntry).MakeByRefType());
            _tlbMask = _il.DeclareLocal(typeof(ulong));
            _ram = _il.DeclareLocal(typeof(byte[]));
            _generations = _il.DeclareLocal(typeof(uint).MakeByRefType());
            _entry = _il.DeclareLocal(typeof(TlbEntry).MakeByRefType());
            _pa = _il.DeclareLocal(typeof(ulong));
            _hits = _il.DeclareLocal(typeof(long));
            foreach ((FieldInfo field, LocalBuilder local, Type? element) in new[] { (TlbEntriesField, _tlb, typeof(TlbEntry)), (TlbMaskField, _tlbMask, null), (RamField, _ram, null), (GenerationsField, _generations, typeof(uint)) })
            {
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldfld, field);
                if (element is not null)
                {
                    _il.Emit(OpCodes.Ldc_I4_0);
                    _il.Emit(OpCodes.Ldelema, element); // never empty (NoEntries, NoGenerations)
                }
                _il.Emit(OpCodes.Stloc, local);
            }
            _il.Emit(OpCodes.Ldc_I8, 0L);
            _il.Emit(OpCodes.Stloc, _hits);
        }

        /// <summary>Before a call-out (it may fault) and at an exit: cpu._directHits = the hits taken since entry.</summary>
        private void WriteHits()
        {
            if (_hits is null)
                return;
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _hits);
            _il.Emit(OpCodes.Stfld, DirectHitsField);
        }

        /// <summary>
        /// Pushes the size-byte value at _address: the TLB hit inline, else (registers and rip in place, since it may
        /// fault) the call-out to the interpreter's ReadMem.
        /// </summary>
        private void LoadMemory(in Instruction ins, int size)
        {
            Label miss = _il.DefineLabel(), done = _il.DefineLabel();
            if (_hits is not null)
            {
                TlbHit(size, ReadBit, miss);
                // loaded = RAM[entry.FrameBase | (address & 0xfff)]
                _il.Emit(OpCodes.Ldloc, _ram!);
                PhysicalAddress();
                _il.Emit(OpCodes.Conv_U);
                _il.Emit(OpCodes.Ldelema, typeof(byte));
                if (size > 1)
                    _il.Emit(OpCodes.Unaligned, (byte)1);
                _il.Emit(size switch { 1 => OpCodes.Ldind_U1, 2 => OpCodes.Ldind_U2, 4 => OpCodes.Ldind_U4, _ => OpCodes.Ldind_I8 });
                if (size < 8)
                    _il.Emit(OpCodes.Conv_U8);
                _il.Emit(OpCodes.Stloc, _loaded);
                CountHit();
                _il.Emit(OpCodes.Br, done);
            }
            else if (_hitHelper)
            {
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldloc, _address);
                _il.Emit(OpCodes.Ldc_I4, size);
                _il.Emit(OpCodes.Ldloca, _loaded);
                _il.Emit(OpCodes.Call, TryLoadDirectMethod);
                _il.Emit(OpCodes.Brtrue, done);
            }
            _il.MarkLabel(miss);
            BeforeCallOut(ins.IP);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Call, LoadCallOutMethod);
            _il.Emit(OpCodes.Stloc, _loaded);
            _il.MarkLabel(done);
            _il.Emit(OpCodes.Ldloc, _loaded);
        }

        /// <summary>
        /// Stores a local's low size bytes at _address: the TLB hit inline (the store, the frame's write generation,
        /// the decode cache's note), else the call-out to the interpreter's WriteMem.
        /// </summary>
        private void StoreMemory(in Instruction ins, LocalBuilder value, int size)
        {
            Label miss = _il.DefineLabel(), done = _il.DefineLabel();
            if (_hits is not null)
            {
                TlbHit(size, WriteBit, miss);
                PhysicalAddress();
                _il.Emit(OpCodes.Stloc, _pa!);
                // RAM[pa] = value
                _il.Emit(OpCodes.Ldloc, _ram!);
                _il.Emit(OpCodes.Ldloc, _pa!);
                _il.Emit(OpCodes.Conv_U);
                _il.Emit(OpCodes.Ldelema, typeof(byte));
                _il.Emit(OpCodes.Ldloc, value);
                if (size < 8)
                    _il.Emit(OpCodes.Conv_U4);
                if (size > 1)
                    _il.Emit(OpCodes.Unaligned, (byte)1);
                _il.Emit(size switch { 1 => OpCodes.Stind_I1, 2 => OpCodes.Stind_I2, 4 => OpCodes.Stind_I4, _ => OpCodes.Stind_I8 });
                // generations[pa >> 12]++, as PhysicalMemory.Slice does for a write
                _il.Emit(OpCodes.Ldloc, _generations!);
                _il.Emit(OpCodes.Ldloc, _pa!);
                _il.Emit(OpCodes.Ldc_I4, PhysicalMemory.FrameShift - 2); // 4 bytes a generation
                _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Ldc_I4, ~3);
                _il.Emit(OpCodes.Conv_I8);
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Conv_U);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Dup);
                _il.Emit(OpCodes.Ldind_U4);
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.Add);
                _il.Emit(OpCodes.Stind_I4);
                CountHit();
                // NoteStore, without a branch: cpu._codeStale |= the page number may hold cached code (the store does
                // not cross a page, and the filter is all ones under CheckCodeAfterEveryStore)
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldfld, CodeStaleField);
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldfld, CodePageFilterField);
                _il.Emit(OpCodes.Ldloc, _address);
                _il.Emit(OpCodes.Ldc_I4, PhysicalMemory.FrameShift);
                _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Conv_I4);
                _il.Emit(OpCodes.Ldc_I4, 63);
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Shr_Un);
                _il.Emit(OpCodes.Conv_I4);
                _il.Emit(OpCodes.Ldc_I4_1);
                _il.Emit(OpCodes.And);
                _il.Emit(OpCodes.Or);
                _il.Emit(OpCodes.Stfld, CodeStaleField);
                _il.Emit(OpCodes.Br, done);
            }
            else if (_hitHelper)
            {
                _il.Emit(OpCodes.Ldarg_1);
                _il.Emit(OpCodes.Ldloc, _address);
                _il.Emit(OpCodes.Ldloc, value);
                _il.Emit(OpCodes.Ldc_I4, size);
                _il.Emit(OpCodes.Call, TryStoreDirectMethod);
                _il.Emit(OpCodes.Brtrue, done);
            }
            _il.MarkLabel(miss);
            BeforeCallOut(ins.IP);
            _il.Emit(OpCodes.Ldarg_1);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Ldloc, value);
            _il.Emit(OpCodes.Ldc_I4, size);
            _il.Emit(OpCodes.Call, StoreCallOutMethod);
            _il.MarkLabel(done);
        }

        /// <summary>
        /// The hit test, as Mmu.Translate's: entry = ref tlb[(address >> 12) &amp; mask] (masked: no bounds check); a hit needs entry.Tag to be
        /// the page number of the access's last byte + 1, which also refuses an access that crosses into the next page
        /// (that page's number maps to another slot: the mask is never 0), and the permission bit; else to miss.
        /// </summary>
        private void TlbHit(int size, int bit, Label miss)
        {
            _il.Emit(OpCodes.Ldloc, _tlb!);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Ldc_I4, PhysicalMemory.FrameShift);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Ldloc, _tlbMask!);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Conv_U);
            _il.Emit(OpCodes.Sizeof, typeof(TlbEntry));
            _il.Emit(OpCodes.Mul);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _entry!);
            _il.Emit(OpCodes.Ldloc, _entry!);
            _il.Emit(OpCodes.Ldfld, TagField);
            _il.Emit(OpCodes.Ldloc, _address);
            if (size > 1)
            {
                _il.Emit(OpCodes.Ldc_I8, (long)(size - 1));
                _il.Emit(OpCodes.Add);
            }
            _il.Emit(OpCodes.Ldc_I4, PhysicalMemory.FrameShift);
            _il.Emit(OpCodes.Shr_Un);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Xor); // 0 when the tag matches
            // | (the permission bit is clear): one branch for both tests
            _il.Emit(OpCodes.Ldloc, _entry!);
            _il.Emit(OpCodes.Ldfld, AllowedField);
            _il.Emit(OpCodes.Not);
            _il.Emit(OpCodes.Ldc_I4, bit);
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Conv_U8);
            _il.Emit(OpCodes.Or);
            _il.Emit(OpCodes.Brtrue, miss);
        }

        /// <summary>Pushes entry.FrameBase | (address &amp; 0xfff), the physical address of a hit.</summary>
        private void PhysicalAddress()
        {
            _il.Emit(OpCodes.Ldloc, _entry!);
            _il.Emit(OpCodes.Ldfld, FrameBaseField);
            _il.Emit(OpCodes.Ldloc, _address);
            _il.Emit(OpCodes.Ldc_I8, (long)(PageSize - 1));
            _il.Emit(OpCodes.And);
            _il.Emit(OpCodes.Or);
        }

        /// <summary>hits++ (a local: added to Tlb.Hits by the run loop).</summary>
        private void CountHit()
        {
            _il.Emit(OpCodes.Ldloc, _hits!);
            _il.Emit(OpCodes.Ldc_I4_1);
            _il.Emit(OpCodes.Conv_I8);
            _il.Emit(OpCodes.Add);
            _il.Emit(OpCodes.Stloc, _hits!);
        }
    }
}
