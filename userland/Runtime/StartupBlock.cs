using System.Buffers.Binary;
using System.Text;

namespace MicroKernel.Userland.Runtime;

/// <summary>
/// The startup block a C# program finds in its own memory, laid out by the loader at spawn as execve lays out
/// argv: word 0 argc, word 1 the restart generation (0 at spawn, +1 per supervisor restart), then argc pointers
/// (argv[0] is the program's name), a NULL, and the NUL-terminated UTF-8 strings. main's argument is its address.
/// </summary>
public static class StartupBlock
{
    /// <summary>Offset of argc.</summary>
    public const ulong ArgcOffset = 0;

    /// <summary>Offset of the restart generation.</summary>
    public const ulong GenerationOffset = 8;

    /// <summary>Offset of argv[0]'s pointer.</summary>
    public const ulong ArgvOffset = 16;

    /// <summary>Most argv entries a block holds (argv[0] included).</summary>
    public const int MaxArgs = 64;

    /// <summary>
    /// The block's bytes for a block at <paramref name="address"/>: argv = [<paramref name="name"/>, ..<paramref name="args"/>].
    /// </summary>
    public static byte[] Build(ulong address, string name, IReadOnlyList<string> args, long generation)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(args);
        if (args.Count + 1 > MaxArgs) throw new ArgumentException($"at most {MaxArgs - 1} arguments", nameof(args));
        byte[][] strings = [.. new[] { name }.Concat(args).Select(s => Encoding.UTF8.GetBytes(s + "\0"))];
        int vector = (int)ArgvOffset + 8 * (strings.Length + 1);
        var block = new byte[vector + strings.Sum(s => s.Length)];
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan((int)ArgcOffset), (ulong)strings.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan((int)GenerationOffset), (ulong)generation);
        int at = vector;
        for (int i = 0; i < strings.Length; i++)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(block.AsSpan((int)ArgvOffset + 8 * i), address + (ulong)at);
            strings[i].CopyTo(block, at);
            at += strings[i].Length;
        }
        return block;
    }

    /// <summary>argv[1..] of the block at <paramref name="address"/>, read through user memory (each load checked).</summary>
    internal static IReadOnlyList<string> ReadArgs(UserMemory memory, ulong address)
    {
        ulong argc = memory.ReadUInt64(address + ArgcOffset);
        if (argc is 0 or > MaxArgs) return [];
        var args = new string[argc - 1];
        for (ulong i = 1; i < argc; i++) args[i - 1] = ReadCString(memory, memory.ReadUInt64(address + ArgvOffset + 8 * i));
        return args;
    }

    // A NUL-terminated UTF-8 string, a byte at a time (the block's strings are short).
    private static string ReadCString(UserMemory memory, ulong address)
    {
        var bytes = new List<byte>();
        for (byte b; (b = memory.ReadByte(address + (ulong)bytes.Count)) != 0;) bytes.Add(b);
        return Encoding.UTF8.GetString([.. bytes]);
    }
}
