using Iced.Intel;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;
using static MicroKernel.Tests.X86.X86TranslatorTests;

namespace MicroKernel.Tests.X86;

/// <summary>
/// Lazy flags in compiled code (X86Emitter.Flags.cs): a jcc after add, sub, cmp, neg, and, or, xor or test decides on
/// the kept operands, and RFLAGS is computed only where it is read whole. Every condition after every such operation,
/// at every width, on boundary operands, must branch as the interpreter does; pushf and a fault must see the flags.
/// </summary>
public sealed class X86LazyFlagsTests
{
    private static readonly ulong[] Values =
        [0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
         0x7fff_ffff_ffff_ffff, 0x8000_0000_0000_0000, ulong.MaxValue, 0x1234_5678_9abc_def0];

    public static TheoryData<string, int> OperationsAndSizes()
    {
        var data = new TheoryData<string, int>();
        foreach (string op in new[] { "add", "sub", "cmp", "neg", "and", "or", "xor", "test" })
            foreach (int size in new[] { 1, 2, 4, 8 })
                data.Add(op, size);
        return data;
    }

    /// <summary>
    /// For every pair of values (from a table on the data page): op a, b then each of the 16 jcc; r10 counts the
    /// branches not taken, r11 mixes the count after each jcc, so one wrong decision changes it.
    /// </summary>
    private static Action<Assembler> EveryCondition(string op, int size) => asm =>
    {
        Label outer = asm.CreateLabel(), inner = asm.CreateLabel();
        ulong table = X86TestMachine.DataBase;
        for (int i = 0; i < Values.Length; i++)
        {
            asm.mov(rax, unchecked((long)Values[i]));
            asm.mov(__qword_ptr[(long)table + i * 8], rax);
        }
        asm.xor(r8d, r8d);                                   // i
        asm.Label(ref outer);
        asm.xor(r9d, r9d);                                   // j
        asm.Label(ref inner);
        asm.mov(rcx, __qword_ptr[r8 * 8 + (long)table]);
        asm.mov(rdx, __qword_ptr[r9 * 8 + (long)table]);
        foreach (ConditionCode cc in Enum.GetValues<ConditionCode>().Where(c => c != ConditionCode.None))
        {
            Label skip = asm.CreateLabel();
            asm.mov(rax, rcx);
            asm.mov(rbx, rdx);
            Operation(asm, op, size);
            Jump(asm, cc, skip);
            asm.inc(r10);
            asm.Label(ref skip);
            asm.lea(r11, __[r11 + r11 * 2]);
            asm.add(r11, r10);
        }
        asm.inc(r9d);
        asm.cmp(r9d, Values.Length);
        asm.jne(inner);
        asm.inc(r8d);
        asm.cmp(r8d, Values.Length);
        asm.jne(outer);
        asm.hlt();
    };

    private static void Operation(Assembler asm, string op, int size)
    {
        switch (op)
        {
            case "add": if (size == 1) asm.add(al, bl); else if (size == 2) asm.add(ax, bx); else if (size == 4) asm.add(eax, ebx); else asm.add(rax, rbx); break;
            case "sub": if (size == 1) asm.sub(al, bl); else if (size == 2) asm.sub(ax, bx); else if (size == 4) asm.sub(eax, ebx); else asm.sub(rax, rbx); break;
            case "cmp": if (size == 1) asm.cmp(al, bl); else if (size == 2) asm.cmp(ax, bx); else if (size == 4) asm.cmp(eax, ebx); else asm.cmp(rax, rbx); break;
            case "neg": if (size == 1) asm.neg(al); else if (size == 2) asm.neg(ax); else if (size == 4) asm.neg(eax); else asm.neg(rax); break;
            case "and": if (size == 1) asm.and(al, bl); else if (size == 2) asm.and(ax, bx); else if (size == 4) asm.and(eax, ebx); else asm.and(rax, rbx); break;
            case "or": if (size == 1) asm.or(al, bl); else if (size == 2) asm.or(ax, bx); else if (size == 4) asm.or(eax, ebx); else asm.or(rax, rbx); break;
            case "xor": if (size == 1) asm.xor(al, bl); else if (size == 2) asm.xor(ax, bx); else if (size == 4) asm.xor(eax, ebx); else asm.xor(rax, rbx); break;
            default: if (size == 1) asm.test(al, bl); else if (size == 2) asm.test(ax, bx); else if (size == 4) asm.test(eax, ebx); else asm.test(rax, rbx); break;
        }
    }

    private static void Jump(Assembler asm, ConditionCode cc, Label target)
    {
        switch (cc)
        {
            case ConditionCode.o: asm.jo(target); break;
            case ConditionCode.no: asm.jno(target); break;
            case ConditionCode.b: asm.jb(target); break;
            case ConditionCode.ae: asm.jae(target); break;
            case ConditionCode.e: asm.je(target); break;
            case ConditionCode.ne: asm.jne(target); break;
            case ConditionCode.be: asm.jbe(target); break;
            case ConditionCode.a: asm.ja(target); break;
            case ConditionCode.s: asm.js(target); break;
            case ConditionCode.ns: asm.jns(target); break;
            case ConditionCode.p: asm.jp(target); break;
            case ConditionCode.np: asm.jnp(target); break;
            case ConditionCode.l: asm.jl(target); break;
            case ConditionCode.ge: asm.jge(target); break;
            case ConditionCode.le: asm.jle(target); break;
            default: asm.jg(target); break;
        }
    }

    [Theory]
    [MemberData(nameof(OperationsAndSizes))]
    public void Every_condition_after_the_operation_branches_as_the_interpreter_does(string op, int size)
    {
        // Each block compiled at once, and (threshold 1) chained, where a jcc may read flags passed from the block before.
        (X86TestMachine a, X86TestMachine b) = Lockstep(EveryCondition(op, size), 1_000_000);
        b.Cpu.LastFault.ShouldBeNull();
        b.Regs.R11.ShouldBe(a.Regs.R11);
        b.Regs.R10.ShouldBeGreaterThan(0UL);
        (_, X86TestMachine chained) = Lockstep(EveryCondition(op, size), 1_000_000, threshold: 1);
        chained.Cpu.BlocksChained.ShouldBeGreaterThan(0);
        Lockstep(EveryCondition(op, size), 23, threshold: 1); // scheduling points between an operation and its jcc
    }

    [Fact]
    public void Flags_kept_lazily_are_computed_for_pushf_a_fault_and_the_next_block()
    {
        (X86TestMachine a, X86TestMachine b) = Lockstep(asm =>
        {
            Label next = asm.CreateLabel();
            asm.mov(eax, 0x7fff_ffff);
            asm.add(eax, 1);                                 // OF, SF, AF, PF kept lazily
            asm.pushfq();                                    // interpreted: reads RFLAGS whole
            asm.pop(rsi);
            asm.mov(rbx, 0x1_0000_0000);
            asm.sub(rax, rbx);                               // CF
            asm.jmp(next);                                   // the next block sees them through fkind
            asm.Label(ref next);
            asm.pushfq();
            asm.pop(rdi);
            asm.xor(ecx, 3);                                 // PF kept lazily
            asm.mov(rdx, __qword_ptr[0x1000_0000]);          // unmapped: the fault report shows RFLAGS
            asm.hlt();
        }, 1000, threshold: 0);
        b.Regs.Rsi.ShouldBe(a.Regs.Rsi);
        b.Regs.Rdi.ShouldBe(a.Regs.Rdi);
        (b.Regs.Rsi & X86Flags.OF).ShouldBe(X86Flags.OF);
        (b.Regs.Rdi & X86Flags.CF).ShouldBe(X86Flags.CF);
        b.Cpu.LastFault.ShouldNotBeNull().Registers.Rflags.ShouldBe(a.Cpu.LastFault!.Registers.Rflags);
    }
}
