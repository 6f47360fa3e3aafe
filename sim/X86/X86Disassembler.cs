using System.Text;
using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

/// <summary>Disassembles user code through an <see cref="IX86Memory"/> (for a <c>disasm</c> command and fault reports).</summary>
public static class X86Disassembler
{
    /// <summary>
    /// Disassembles up to count instructions from address, one line each: address, bytes, NASM text.
    /// Stops early at memory that cannot be fetched for execution.
    /// </summary>
    public static string Disassemble(IX86Memory memory, ulong address, int count)
    {
        ArgumentNullException.ThrowIfNull(memory);
        var formatter = new NasmFormatter();
        var output = new StringOutput();
        var sb = new StringBuilder();
        byte[] bytes = new byte[15];
        for (int i = 0; i < count; i++)
        {
            int have = ReadCode(memory, address, bytes);
            if (have == 0)
            {
                sb.Append(address.ToString("x16", CultureInfo.InvariantCulture)).AppendLine("  ?? (not executable)");
                break;
            }
            var decoder = Iced.Intel.Decoder.Create(64, new ByteArrayCodeReader(bytes, 0, have), address, DecoderOptions.None);
            decoder.Decode(out Instruction ins);
            if (decoder.LastError == DecoderError.NoMoreBytes)
            {
                sb.Append(address.ToString("x16", CultureInfo.InvariantCulture)).AppendLine("  ?? (truncated)");
                break;
            }
            formatter.Format(in ins, output);
            sb.Append(address.ToString("x16", CultureInfo.InvariantCulture)).Append("  ")
              .Append(Convert.ToHexString(bytes, 0, ins.Length).ToLowerInvariant().PadRight(24))
              .AppendLine(output.ToStringAndReset());
            address = ins.NextIP;
        }
        return sb.ToString();
    }

    /// <summary>
    /// Reads up to bytes.Length instruction bytes at address, page by page, stopping before the first byte that
    /// may not be fetched (an unmapped page, the end of an MPU region). Returns how many bytes were read.
    /// </summary>
    internal static int ReadCode(IX86Memory memory, ulong address, byte[] bytes)
    {
        int have = 0;
        while (have < bytes.Length)
        {
            ulong at = address + (ulong)have;
            int chunk = (int)Math.Min((ulong)(bytes.Length - have), 4096 - (at & 4095));
            if (memory.Read(at, bytes.AsSpan(have, chunk), AccessKind.Execute) is { } fault)
            {
                if (fault.Address > at && fault.Address - at < (ulong)chunk
                    && memory.Read(at, bytes.AsSpan(have, (int)(fault.Address - at)), AccessKind.Execute) is null)
                    have += (int)(fault.Address - at);
                break;
            }
            have += chunk;
        }
        return have;
    }
}
