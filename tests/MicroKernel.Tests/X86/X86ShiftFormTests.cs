using Iced.Intel;
using MicroKernel.X86;

namespace MicroKernel.Tests.X86;

/// <summary>
/// The three encodings of each shift and rotate (by 1: D0/D1, by imm8: C0/C1, by cl: D2/D3) compute the same result
/// and flags. The cl form is checked against the processor in X86FlagTableTests; this ties the other two to it,
/// at the counts where the rules change: 1, a middle count, the width, the width + 1 and a count the mask wraps (33 is 1 at 8 and 16 bits; 0xFF is 31 or 63).
/// </summary>
public class X86ShiftFormTests
{
    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string op in new[] { "Shl", "Shr", "Sar", "Rol", "Ror", "Rcl", "Rcr" })
            foreach (int bits in new[] { 8, 16, 32, 64 })
                foreach (int count in new[] { 1, 3, bits, bits + 1, bits >= 32 ? 0xFF : 33 })
                    data.Add(op, bits, count);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Immediate_and_by_one_forms_agree_with_the_cl_form(string op, int bits, int count)
    {
        Register dest = bits switch { 8 => Register.AL, 16 => Register.AX, 32 => Register.EAX, _ => Register.RAX };
        Code byCl = Enum.Parse<Code>($"{op}_rm{bits}_CL");
        Code byImm = Enum.Parse<Code>($"{op}_rm{bits}_imm8");
        (ulong Rax, ulong Flags) expected = Run(Instruction.Create(byCl, dest, Register.CL), count);
        Run(Instruction.Create(byImm, dest, (uint)count), count).ShouldBe(expected, $"{op} {dest}, {count}");
        if (count == 1)
            Run(Instruction.Create(Enum.Parse<Code>($"{op}_rm{bits}_1"), dest, 1u), count).ShouldBe(expected, $"{op} {dest}, 1 (D0/D1)");
    }

    private static (ulong Rax, ulong Flags) Run(Instruction ins, int count)
    {
        var m = X86TestMachine.FromAssembly(a =>
        {
            a.AddInstruction(ins);
            a.hlt();
        });
        m.Regs.Rax = 0x8123_4567_89ab_cdefUL;
        m.Regs.Rcx = (ulong)count;
        m.Regs.Rflags = X86Flags.Initial | X86Flags.CF | X86Flags.ZF;
        m.Run().ShouldBe(StopReason.Halted, m.Cpu.LastFault?.ToString());
        return (m.Regs.Rax, m.Regs.Rflags);
    }
}
