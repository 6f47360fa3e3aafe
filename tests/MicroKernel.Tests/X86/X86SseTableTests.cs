using System.IO.Compression;
using Iced.Intel;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.X86;

/// <summary>
/// SSE and SSE2 against the host processor: SseTable.txt.gz holds, for 221 instruction forms (every SSE/SSE2
/// floating-point operation, compare and conversion, the packed-integer, shuffle, pack and move instructions), the
/// results a real x86-64 CPU gave, made by tools/ssetable.c (it runs each form with ldmxcsr/stmxcsr around it, which
/// .NET's intrinsics cannot do). The cases cover zeros, denormals, infinities, quiet and signalling NaNs with
/// payloads, the integer conversion limits, each rounding mode, FTZ, DAZ and sticky flags. Each form runs here
/// between the same register loads and stores, and xmm0, rax, MXCSR (and RFLAGS for ucomis/comis) must be the
/// host's, bit for bit.
/// </summary>
public class X86SseTableTests
{
    private sealed record Row(uint Mxcsr, UInt128 A, UInt128 B, ulong Rax, UInt128 Result, ulong RaxOut, uint MxcsrOut, ulong Flags, string Text);

    private sealed record Form(string Name, byte[] Code, List<Row> Rows);

    private static readonly Lazy<List<Form>> Table = new(Load);

    /// <summary>The forms of the table, by name (e.g. "addsd", "cmpsd_3", "cvttsd2si_64").</summary>
    public static TheoryData<string> Forms()
    {
        var data = new TheoryData<string>();
        foreach (Form f in Table.Value)
            data.Add(f.Name);
        return data;
    }

    private static List<Form> Load()
    {
        string path = Path.Combine(CExamples.RepoRoot, "tests", "MicroKernel.Tests", "X86", "SseTable.txt.gz");
        using var reader = new StreamReader(new GZipStream(File.OpenRead(path), CompressionMode.Decompress));
        var forms = new List<Form>();
        while (reader.ReadLine() is { } line)
        {
            string[] w = line.Split(' ');
            if (w[0] == "form")
            {
                forms.Add(new Form(w[1], Convert.FromHexString(w[2]), []));
                continue;
            }
            ulong H(int i) => ulong.Parse(w[i], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            forms[^1].Rows.Add(new Row((uint)H(0), new UInt128(H(2), H(1)), new UInt128(H(4), H(3)), H(5),
                new UInt128(H(8), H(7)), H(9), (uint)H(10), H(11), line));
        }
        return forms;
    }

    private const ulong Data = X86TestMachine.DataBase;

    [Fact]
    public void The_table_covers_every_group()
    {
        List<Form> forms = Table.Value;
        forms.Count.ShouldBe(221);
        forms.Sum(f => f.Rows.Count).ShouldBeGreaterThan(29_000);
        foreach (string name in new[] { "addsd", "divss", "sqrtpd", "cmpsd_7", "comiss", "cvtsd2si_64", "cvttps2dq", "psadbw", "packuswb", "pshufd_1b", "psraw" })
            forms.ShouldContain(f => f.Name == name);
    }

    [Theory]
    [MemberData(nameof(Forms))]
    public void Matches_the_host_processor(string name)
    {
        Form form = Table.Value.Single(f => f.Name == name);
        X86TestMachine m = X86TestMachine.FromAssembly(a =>
        {
            a.mov(rbx, Data);
            a.ldmxcsr(__dword_ptr[rbx]);
            a.movdqu(xmm0, __xmmword_ptr[rbx + 16]);
            a.movdqu(xmm1, __xmmword_ptr[rbx + 32]);
            a.mov(rax, __qword_ptr[rbx + 48]);
            a.db(form.Code);
            a.movdqu(__xmmword_ptr[rbx + 64], xmm0);
            a.mov(__qword_ptr[rbx + 80], rax);
            a.stmxcsr(__dword_ptr[rbx + 88]);
            a.pushfq();
            a.pop(rcx);
            a.mov(__qword_ptr[rbx + 96], rcx);
            a.hlt();
        }).WithData();
        bool flagsMatter = name.Contains("comi", StringComparison.Ordinal);
        var failures = new List<string>();
        byte[] block = new byte[112];
        foreach (Row row in form.Rows)
        {
            Array.Clear(block);
            BitConverter.TryWriteBytes(block.AsSpan(0), row.Mxcsr);
            BitConverter.TryWriteBytes(block.AsSpan(16), row.A);
            BitConverter.TryWriteBytes(block.AsSpan(32), row.B);
            BitConverter.TryWriteBytes(block.AsSpan(48), row.Rax);
            m.Memory.Poke(Data, block);
            m.Regs = X86Registers.Create(X86TestMachine.CodeBase, X86TestMachine.StackTop);
            StopReason stop = m.Run();
            if (stop != StopReason.Halted)
            {
                failures.Add($"{row.Text}  -> stopped: {stop} {m.Cpu.LastFault?.Message}");
                continue;
            }
            byte[] got = m.Memory.Peek(Data, 112);
            var result = BitConverter.ToUInt128(got, 64);
            ulong rax = BitConverter.ToUInt64(got, 80);
            uint mxcsr = BitConverter.ToUInt32(got, 88);
            ulong flags = BitConverter.ToUInt64(got, 96) & 0x8d5;
            if (result != row.Result || rax != row.RaxOut || mxcsr != row.MxcsrOut || (flagsMatter && flags != row.Flags))
                failures.Add($"{row.Text}  -> got {(ulong)result:x} {(ulong)(result >> 64):x} {rax:x} {mxcsr:x} {flags:x}");
        }
        failures.ShouldBeEmpty($"{failures.Count} of {form.Rows.Count} cases differ from the host:\n" + string.Join('\n', failures.Take(25)));
    }
}
