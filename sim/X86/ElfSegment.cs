namespace MicroKernel.X86;

/// <summary>ELF segment permission flags (the p_flags bits).</summary>
[Flags]
public enum ElfSegmentFlags : uint
{
    /// <summary>No access.</summary>
    None = 0,
    /// <summary>PF_X: executable.</summary>
    Execute = 1,
    /// <summary>PF_W: writable.</summary>
    Write = 2,
    /// <summary>PF_R: readable.</summary>
    Read = 4,
}

/// <summary>
/// A PT_LOAD segment: <see cref="MemorySize"/> bytes at <see cref="VirtualAddress"/>, the first
/// <see cref="FileSize"/> of them from the file (<see cref="Data"/>), the rest zero (.bss).
/// </summary>
/// <param name="VirtualAddress">p_vaddr: where the segment starts in the address space.</param>
/// <param name="MemorySize">p_memsz: its size in memory.</param>
/// <param name="FileSize">p_filesz: how many of those bytes come from the file.</param>
/// <param name="FileOffset">p_offset: where those bytes are in the file.</param>
/// <param name="Data">The file bytes (FileSize of them).</param>
/// <param name="Flags">p_flags: read, write, execute.</param>
public sealed record ElfSegment(ulong VirtualAddress, ulong MemorySize, ulong FileSize, ulong FileOffset, byte[] Data,
    ElfSegmentFlags Flags)
{
    /// <summary>The end of the segment in memory (exclusive).</summary>
    public ulong End => VirtualAddress + MemorySize;

    /// <summary>The flags as page permissions (the same bits as mk_map's prot).</summary>
    public X86Protection Protection =>
        ((Flags & ElfSegmentFlags.Read) != 0 ? X86Protection.Read : 0)
        | ((Flags & ElfSegmentFlags.Write) != 0 ? X86Protection.Write : 0)
        | ((Flags & ElfSegmentFlags.Execute) != 0 ? X86Protection.Execute : 0);

    /// <summary>"0x401000-0x401234 r-x (filesz 0x234)".</summary>
    public override string ToString() =>
        $"0x{VirtualAddress:x}-0x{End:x} {((Flags & ElfSegmentFlags.Read) != 0 ? 'r' : '-')}"
        + $"{((Flags & ElfSegmentFlags.Write) != 0 ? 'w' : '-')}{((Flags & ElfSegmentFlags.Execute) != 0 ? 'x' : '-')}"
        + $" (filesz 0x{FileSize:x})";
}
