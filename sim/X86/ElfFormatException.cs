namespace MicroKernel.X86;

/// <summary>An ELF file is malformed or not supported; the message names the field and its file offset.</summary>
public sealed class ElfFormatException : Exception
{
    /// <summary>Creates the exception for a field at a file offset.</summary>
    /// <param name="field">The ELF field, e.g. "e_machine" or "program header 2 p_filesz".</param>
    /// <param name="offset">The file offset of that field.</param>
    /// <param name="problem">What is wrong with it.</param>
    public ElfFormatException(string field, long offset, string problem)
        : base($"ELF: {field} at offset 0x{offset:x}: {problem}")
    {
        Field = field;
        Offset = offset;
    }

    /// <summary>The ELF field that is wrong.</summary>
    public string Field { get; }

    /// <summary>The file offset of that field.</summary>
    public long Offset { get; }
}
