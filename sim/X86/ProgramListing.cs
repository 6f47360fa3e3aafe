using System.Text;
using Iced.Intel;

namespace MicroKernel.X86;

/// <summary>A disassembly of a program's executable bytes with Iced's NASM formatter, one instruction a line.</summary>
public static class ProgramListing
{
    /// <summary>Lists every executable segment of an ELF image (or the whole of a flat binary).</summary>
    public static string Format(byte[] file)
    {
        var sb = new StringBuilder();
        if (file.Length >= 4 && file[0] == 0x7F && file[1] == (byte)'E' && file[2] == (byte)'L' && file[3] == (byte)'F')
        {
            ElfImage elf = ElfImage.Parse(file);
            sb.AppendLine(CultureInfo.InvariantCulture, $"ELF64 x86-64 executable, entry 0x{elf.Entry:x}");
            foreach (ElfSegment s in elf.Segments.Where(s => (s.Flags & ElfSegmentFlags.Execute) != 0))
            {
                sb.AppendLine().AppendLine(CultureInfo.InvariantCulture, $"segment 0x{s.VirtualAddress:x}-0x{s.End:x} ({s.Protection}), {s.FileSize} bytes of code:");
                List(sb, s.Data, s.VirtualAddress, elf.Entry);
            }
        }
        else
        {
            FlatBinary flat = FlatBinary.Create(file);
            sb.AppendLine(CultureInfo.InvariantCulture, $"flat binary, {flat.Code.Length} bytes at 0x{flat.Base:x}, entry 0x{flat.Entry:x}").AppendLine();
            List(sb, flat.Code, flat.Base, flat.Entry);
        }
        return sb.ToString();
    }

    private static void List(StringBuilder sb, byte[] code, ulong baseAddress, ulong entry)
    {
        var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(code), baseAddress, DecoderOptions.None);
        var formatter = new NasmFormatter();
        var output = new StringOutput();
        ulong end = baseAddress + (ulong)code.Length;
        while (decoder.IP < end)
        {
            ulong ip = decoder.IP;
            decoder.Decode(out Instruction ins);
            string text = ins.IsInvalid ? "(bad)" : FormatOne(formatter, output, ins);
            int offset = (int)(ip - baseAddress);
            string bytes = Convert.ToHexString(code, offset, Math.Min(ins.Length, code.Length - offset)).ToLowerInvariant();
            sb.Append(ip == entry ? "=> " : "   ").Append(ip.ToString("x16", CultureInfo.InvariantCulture)).Append("  ").Append(bytes.PadRight(24)).AppendLine(text);
        }
    }

    private static string FormatOne(NasmFormatter formatter, StringOutput output, in Instruction ins)
    {
        formatter.Format(in ins, output);
        return output.ToStringAndReset();
    }
}
