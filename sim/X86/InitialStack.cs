using System.Buffers.Binary;
using System.Text;

namespace MicroKernel.X86;

/// <summary>
/// The initial user stack of a new process in the SysV x86-64 layout: at rsp, argc; then argv[0..argc-1],
/// NULL; envp[...], NULL; the auxiliary vector ending with AT_NULL; the strings above all that, just below the
/// stack top. rsp is 16-byte aligned, as the ABI requires at process entry.
/// </summary>
/// <param name="Rsp">The initial rsp: the lowest address of the image, where argc is.</param>
/// <param name="Bytes">The bytes to write at <paramref name="Rsp"/> (through the MMU), up to the stack top.</param>
public sealed record InitialStack(ulong Rsp, byte[] Bytes)
{
    /// <summary>Builds the image for a stack whose top (exclusive end) is stackTop.</summary>
    /// <param name="stackTop">The address just above the stack; 16-byte aligned.</param>
    /// <param name="argv">The arguments, argv[0] being the program name.</param>
    /// <param name="envp">Environment strings ("NAME=value"), or null for none.</param>
    /// <exception cref="ArgumentException">stackTop is not 16-byte aligned or too low for the image.</exception>
    public static InitialStack Build(ulong stackTop, IReadOnlyList<string> argv, IReadOnlyList<string>? envp = null)
    {
        ArgumentNullException.ThrowIfNull(argv);
        envp ??= [];
        if (stackTop % 16 != 0)
            throw new ArgumentException($"stack top 0x{stackTop:x} is not 16-byte aligned", nameof(stackTop));

        // Strings first (highest addresses), each NUL-terminated, in argv then envp order.
        var strings = new List<byte[]>(argv.Count + envp.Count);
        int stringBytes = 0;
        for (int i = 0; i < argv.Count + envp.Count; i++)
        {
            byte[] b = Encoding.UTF8.GetBytes((i < argv.Count ? argv[i] : envp[i - argv.Count]) + "\0");
            strings.Add(b);
            stringBytes += b.Length;
        }
        int stringArea = (stringBytes + 15) & ~15;
        // argc, argv pointers + NULL, envp pointers + NULL, auxv AT_NULL pair.
        int vectorWords = 1 + argv.Count + 1 + envp.Count + 1 + 2;
        int vectorArea = (vectorWords * 8 + 15) & ~15;
        int total = vectorArea + stringArea;
        if ((ulong)total > stackTop)
            throw new ArgumentException("stack top too low for the initial stack", nameof(stackTop));

        ulong rsp = stackTop - (ulong)total;
        byte[] image = new byte[total];
        // The vector sits at rsp; if its padding is needed, it goes between the vector and the strings.
        ulong stringAddress = stackTop - (ulong)stringArea;
        var pointers = new ulong[strings.Count];
        int pos = total - stringArea;
        for (int i = 0; i < strings.Count; i++)
        {
            strings[i].CopyTo(image, pos);
            pointers[i] = stringAddress + (ulong)(pos - (total - stringArea));
            pos += strings[i].Length;
        }

        int w = 0;
        void Word(ulong value)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(image.AsSpan(w * 8, 8), value);
            w++;
        }
        Word((ulong)argv.Count);
        for (int i = 0; i < argv.Count; i++)
            Word(pointers[i]);
        Word(0);
        for (int i = 0; i < envp.Count; i++)
            Word(pointers[argv.Count + i]);
        Word(0);
        Word(0); // auxv: AT_NULL
        Word(0);
        return new InitialStack(rsp, image);
    }
}
