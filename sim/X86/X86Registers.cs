using System.Runtime.CompilerServices;
using System.Text;

namespace MicroKernel.X86;

/// <summary>The 16 general-purpose registers in encoding order: rax, rcx, rdx, rbx, rsp, rbp, rsi, rdi, r8..r15.</summary>
[InlineArray(16)]
public struct X86GprFile
{
    private ulong _element0;
}

/// <summary>The 16 SSE registers xmm0..xmm15, 128 bits each (lane 0 in the low bits, as in memory).</summary>
[InlineArray(16)]
public struct X86XmmFile
{
    private UInt128 _element0;
}

/// <summary>
/// The user-visible register state of one x86-64 thread. A plain value: copying it takes a snapshot
/// (that is what <see cref="CpuFault.Registers"/> holds); <see cref="X86Cpu.Registers"/> returns it by reference.
/// </summary>
public struct X86Registers
{
    /// <summary>The register names in encoding order, as <see cref="FormatRegisters"/> prints them.</summary>
    public static readonly string[] Names =
        ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"];

    /// <summary>The general-purpose registers, indexed by encoding number (0 = rax ... 15 = r15).</summary>
    public X86GprFile Gpr;

    /// <summary>The instruction pointer: the address of the next instruction to execute.</summary>
    public ulong Rip;

    /// <summary>The flags register; see <see cref="X86Flags"/> for its bits.</summary>
    public ulong Rflags;

    /// <summary>The FS segment base (thread-local storage on Linux); added to fs: memory operands.</summary>
    public ulong FsBase;

    /// <summary>The GS segment base; added to gs: memory operands.</summary>
    public ulong GsBase;

    /// <summary>The SSE registers xmm0..xmm15.</summary>
    public X86XmmFile Xmm;

    /// <summary>The SSE control and status register; see <see cref="X86Mxcsr"/> for its bits.</summary>
    public uint Mxcsr;

    /// <summary>
    /// Registers for a new thread: everything zero except rip, rsp, RFLAGS = <see cref="X86Flags.Initial"/> and
    /// MXCSR = <see cref="X86Mxcsr.Initial"/> (all exceptions masked, round to nearest), as Linux starts a process.
    /// </summary>
    public static X86Registers Create(ulong rip, ulong rsp)
    {
        var regs = new X86Registers { Rip = rip, Rflags = X86Flags.Initial, Mxcsr = X86Mxcsr.Initial };
        regs.Gpr[4] = rsp;
        return regs;
    }

    /// <summary>rax: accumulator, syscall number and result.</summary>
    public ulong Rax { readonly get => Gpr[0]; set => Gpr[0] = value; }
    /// <summary>rcx: counter; syscall saves the return rip here.</summary>
    public ulong Rcx { readonly get => Gpr[1]; set => Gpr[1] = value; }
    /// <summary>rdx: data; third syscall argument.</summary>
    public ulong Rdx { readonly get => Gpr[2]; set => Gpr[2] = value; }
    /// <summary>rbx: callee-saved.</summary>
    public ulong Rbx { readonly get => Gpr[3]; set => Gpr[3] = value; }
    /// <summary>rsp: the stack pointer.</summary>
    public ulong Rsp { readonly get => Gpr[4]; set => Gpr[4] = value; }
    /// <summary>rbp: frame pointer (callee-saved).</summary>
    public ulong Rbp { readonly get => Gpr[5]; set => Gpr[5] = value; }
    /// <summary>rsi: second syscall argument; string source.</summary>
    public ulong Rsi { readonly get => Gpr[6]; set => Gpr[6] = value; }
    /// <summary>rdi: first syscall argument; string destination.</summary>
    public ulong Rdi { readonly get => Gpr[7]; set => Gpr[7] = value; }
    /// <summary>r8: fifth syscall argument.</summary>
    public ulong R8 { readonly get => Gpr[8]; set => Gpr[8] = value; }
    /// <summary>r9: sixth syscall argument.</summary>
    public ulong R9 { readonly get => Gpr[9]; set => Gpr[9] = value; }
    /// <summary>r10: fourth syscall argument (rcx is taken by syscall).</summary>
    public ulong R10 { readonly get => Gpr[10]; set => Gpr[10] = value; }
    /// <summary>r11: syscall saves RFLAGS here.</summary>
    public ulong R11 { readonly get => Gpr[11]; set => Gpr[11] = value; }
    /// <summary>r12 (callee-saved).</summary>
    public ulong R12 { readonly get => Gpr[12]; set => Gpr[12] = value; }
    /// <summary>r13 (callee-saved).</summary>
    public ulong R13 { readonly get => Gpr[13]; set => Gpr[13] = value; }
    /// <summary>r14 (callee-saved).</summary>
    public ulong R14 { readonly get => Gpr[14]; set => Gpr[14] = value; }
    /// <summary>r15 (callee-saved).</summary>
    public ulong R15 { readonly get => Gpr[15]; set => Gpr[15] = value; }

    /// <summary>
    /// A readable dump for fault reports: four registers a line, then rip, RFLAGS with flag names,
    /// the FS/GS bases when set, then the 16 xmm registers two a line (high bits first, as a 128-bit number)
    /// and MXCSR with its flag names.
    /// </summary>
    public readonly string FormatRegisters()
    {
        var sb = new StringBuilder(512);
        for (int i = 0; i < 16; i++)
        {
            sb.Append(Names[i].PadLeft(3)).Append(" = 0x").Append(Gpr[i].ToString("x16", CultureInfo.InvariantCulture));
            sb.Append(i % 4 == 3 ? "\n" : "  ");
        }
        sb.Append("rip = 0x").Append(Rip.ToString("x16", CultureInfo.InvariantCulture));
        sb.Append("  rflags = 0x").Append(Rflags.ToString("x8", CultureInfo.InvariantCulture)).Append(" [").Append(X86Flags.Format(Rflags)).Append(']');
        if (FsBase != 0 || GsBase != 0)
            sb.Append("\nfs.base = 0x").Append(FsBase.ToString("x16", CultureInfo.InvariantCulture)).Append("  gs.base = 0x").Append(GsBase.ToString("x16", CultureInfo.InvariantCulture));
        for (int i = 0; i < 16; i++)
        {
            sb.Append(i % 2 == 0 ? "\n" : "  ").Append(("xmm" + i.ToString(CultureInfo.InvariantCulture)).PadLeft(5)).Append(" = 0x");
            sb.Append(((ulong)(Xmm[i] >> 64)).ToString("x16", CultureInfo.InvariantCulture)).Append('_').Append(((ulong)Xmm[i]).ToString("x16", CultureInfo.InvariantCulture));
        }
        sb.Append("\nmxcsr = 0x").Append(Mxcsr.ToString("x8", CultureInfo.InvariantCulture)).Append(" [").Append(X86Mxcsr.Format(Mxcsr)).Append(']');
        return sb.ToString();
    }

    /// <inheritdoc cref="FormatRegisters"/>
    public override readonly string ToString() => FormatRegisters();
}
