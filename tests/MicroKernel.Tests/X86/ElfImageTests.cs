using System.Buffers.Binary;
using CsCheck;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>ELF parsing (valid and malformed files), flat binaries and the initial stack image.</summary>
public sealed class ElfImageTests
{
    internal sealed record Seg(ulong Vaddr, byte[] Data, ulong MemSize, uint Flags, uint Type = 1);

    /// <summary>Builds an ELF64 executable: header, program headers at 64, then each segment's bytes.</summary>
    internal static byte[] BuildElf(ulong entry, params Seg[] segments)
    {
        int phoff = 64, dataStart = phoff + 56 * segments.Length;
        int total = dataStart;
        foreach (Seg s in segments)
            total += s.Data.Length;
        byte[] f = new byte[total];
        f[0] = 0x7f; f[1] = (byte)'E'; f[2] = (byte)'L'; f[3] = (byte)'F';
        f[4] = 2; f[5] = 1; f[6] = 1;
        W16(f, 16, 2);       // ET_EXEC
        W16(f, 18, 62);      // EM_X86_64
        W32(f, 20, 1);
        W64(f, 24, entry);
        W64(f, 32, (ulong)phoff);
        W16(f, 52, 64);
        W16(f, 54, 56);
        W16(f, 56, (ushort)segments.Length);
        int data = dataStart;
        for (int i = 0; i < segments.Length; i++)
        {
            Seg s = segments[i];
            int at = phoff + 56 * i;
            W32(f, at, s.Type);
            W32(f, at + 4, s.Flags);
            W64(f, at + 8, (ulong)data);
            W64(f, at + 16, s.Vaddr);
            W64(f, at + 24, s.Vaddr);
            W64(f, at + 32, (ulong)s.Data.Length);
            W64(f, at + 40, s.MemSize);
            W64(f, at + 48, 0x1000);
            s.Data.CopyTo(f, data);
            data += s.Data.Length;
        }
        return f;
    }

    private static void W16(byte[] f, int at, ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(f.AsSpan(at), v);
    private static void W32(byte[] f, int at, uint v) => BinaryPrimitives.WriteUInt32LittleEndian(f.AsSpan(at), v);
    private static void W64(byte[] f, int at, ulong v) => BinaryPrimitives.WriteUInt64LittleEndian(f.AsSpan(at), v);

    internal static readonly byte[] ExitCode = X86TestMachine.Assemble(a =>
    {
        a.mov(edi, __dword_ptr[0x402000]);  // exit code from the data segment
        a.xor(eax, eax);                     // SyscallNumber.Exit
        a.syscall();
    }, 0x401000);

    private static byte[] ValidElf() => BuildElf(0x401000,
        new Seg(0x401000, ExitCode, (ulong)ExitCode.Length, 5),      // r-x
        new Seg(0x402000, [42, 0, 0, 0], 0x2000, 6));                // rw-, with .bss

    [Fact]
    public void Parses_a_valid_executable_and_runs_it()
    {
        ElfImage image = ElfImage.Parse(ValidElf());
        image.Entry.ShouldBe(0x401000UL);
        image.Segments.Count.ShouldBe(2);
        image.Segments[0].Flags.ShouldBe(ElfSegmentFlags.Read | ElfSegmentFlags.Execute);
        image.Segments[1].MemorySize.ShouldBe(0x2000UL);
        image.Segments[1].Protection.ShouldBe(X86Protection.ReadWrite);

        var m = X86TestMachine.FromElf(ValidElf(), ["prog"]);
        m.RunProcess().ShouldBe(StopReason.Syscall, m.Cpu.LastFault?.ToString());
        m.ExitCode.ShouldBe(42);
        m.Memory.Peek(0x403ff8, 8).ShouldAllBe(b => b == 0); // .bss is zero
    }

    public static TheoryData<string, Action<byte[]>, string> Malformations => new()
    {
        { "bad magic", f => f[1] = (byte)'X', "EI_MAG" },
        { "32-bit class", f => f[4] = 1, "EI_CLASS" },
        { "big-endian", f => f[5] = 2, "EI_DATA" },
        { "ident version", f => f[6] = 0, "EI_VERSION" },
        { "ET_DYN", f => W16(f, 16, 3), "ET_DYN" },
        { "ET_REL", f => W16(f, 16, 1), "e_type" },
        { "wrong machine", f => W16(f, 18, 3), "e_machine" },
        { "wrong version", f => W32(f, 20, 2), "e_version" },
        { "small ehsize", f => W16(f, 52, 32), "e_ehsize" },
        { "phentsize", f => W16(f, 54, 32), "e_phentsize" },
        { "no program headers", f => W16(f, 56, 0), "e_phnum" },
        { "PN_XNUM", f => W16(f, 56, 0xffff), "e_phnum" },
        { "table beyond file", f => W64(f, 32, 0xffff_ffff_ffff_fff0), "e_phoff" },
        { "too many headers", f => W16(f, 56, 200), "e_phoff" },
        { "segment beyond file", f => W64(f, 64 + 32, 0x10000), "program header 0 p_filesz" },
        { "offset overflow", f => W64(f, 64 + 8, ulong.MaxValue - 4), "program header 0 p_filesz" },
        { "memsz < filesz", f => W64(f, 64 + 40, 1), "program header 0 p_memsz" },
        { "address wraps", f => W64(f, 56 + 64 + 16, ulong.MaxValue - 0x10), "program header 1 p_vaddr" },
        { "kernel half", f => W64(f, 56 + 64 + 16, 0xffff_8000_0000_0000), "program header 1 p_vaddr" },
        { "overlap", f => W64(f, 56 + 64 + 16, 0x401004), "program header 1 p_vaddr" },
        { "entry outside", f => W64(f, 24, 0x402000), "e_entry" },
        { "unknown flags", f => W32(f, 64 + 4, 0x10), "program header 0 p_flags" },
        { "interpreter", f => W32(f, 64, 3), "PT_INTERP" },
        { "dynamic", f => W32(f, 64, 2), "PT_DYNAMIC" },
    };

    [Theory]
    [MemberData(nameof(Malformations))]
    public void Malformed_files_give_an_ElfFormatException_naming_the_field(string what, Action<byte[]> corrupt, string field)
    {
        byte[] file = ValidElf();
        corrupt(file);
        var e = Should.Throw<ElfFormatException>(() => ElfImage.Parse(file), what);
        e.Message.ShouldContain(field);
        e.Message.ShouldContain("offset 0x");
    }

    [Fact]
    public void Every_truncation_and_many_corruptions_fail_cleanly()
    {
        byte[] valid = ValidElf();
        for (int length = 0; length < valid.Length; length++)
        {
            byte[] cut = valid[..length];
            try
            {
                ElfImage.Parse(cut);
            }
            catch (ElfFormatException)
            {
                // the only acceptable failure
            }
        }
        // 1 to 3 bytes of the headers (ELF header and the program headers after it) overwritten; CsCheck shrinks a
        // failing case to the fewest, smallest changes.
        int headers = Math.Min(valid.Length, 64 + 112);
        Gen.Select(Gen.Int[0, headers - 1], Gen.Byte).Array[1, 3].Sample(changes =>
        {
            byte[] f = (byte[])valid.Clone();
            foreach ((int at, byte value) in changes) f[at] = value;
            try
            {
                ElfImage.Parse(f);
            }
            catch (ElfFormatException)
            {
                // the only acceptable failure
            }
        }, iter: 5000);
        Should.Throw<ElfFormatException>(() => ElfImage.Parse([])).Message.ShouldContain("ELF header");
    }

    [Fact]
    public void Flat_binary_loads_at_its_base_and_runs()
    {
        byte[] code = X86TestMachine.Assemble(a =>
        {
            a.mov(edi, 7);
            a.xor(eax, eax);
            a.syscall();
        }, FlatBinary.DefaultBase);
        FlatBinary binary = FlatBinary.Create(code);
        binary.Entry.ShouldBe(0x400000UL);
        var m = new X86TestMachine();
        m.Cpu.HaltStops = false;
        m.Memory.LoadFlat(binary);
        m.Regs.Rip = binary.Entry;
        m.RunProcess().ShouldBe(StopReason.Syscall);
        m.ExitCode.ShouldBe(7);
        Should.Throw<ArgumentException>(() => FlatBinary.Create(code, 0x400010));
    }

    [Fact]
    public void Initial_stack_follows_the_SysV_layout()
    {
        const ulong top = 0x7fff_f000;
        InitialStack stack = InitialStack.Build(top, ["prog", "a b", "xyz"]);
        (stack.Rsp % 16).ShouldBe(0UL);
        (stack.Rsp + (ulong)stack.Bytes.Length).ShouldBe(top);
        ulong Word(int i) => BinaryPrimitives.ReadUInt64LittleEndian(stack.Bytes.AsSpan(i * 8));
        string Str(ulong address)
        {
            int at = (int)(address - stack.Rsp);
            int end = Array.IndexOf(stack.Bytes, (byte)0, at);
            return System.Text.Encoding.UTF8.GetString(stack.Bytes, at, end - at);
        }
        Word(0).ShouldBe(3UL);                 // argc
        Str(Word(1)).ShouldBe("prog");
        Str(Word(2)).ShouldBe("a b");
        Str(Word(3)).ShouldBe("xyz");
        Word(4).ShouldBe(0UL);                 // argv NULL
        Word(5).ShouldBe(0UL);                 // envp NULL
        Word(6).ShouldBe(0UL);                 // AT_NULL
        Word(7).ShouldBe(0UL);
        Should.Throw<ArgumentException>(() => InitialStack.Build(top + 8, ["x"]));
    }
}
