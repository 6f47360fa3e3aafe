using System.Buffers.Binary;

namespace MicroKernel.X86;

/// <summary>
/// A static ELF64 x86-64 executable (ET_EXEC), as <c>gcc -static -nostdlib -no-pie</c> builds it: the entry point
/// and the PT_LOAD segments to map. <see cref="Parse"/> checks every field it uses, so a malformed file gives an
/// <see cref="ElfFormatException"/> naming the field, never an out-of-range access.
/// </summary>
public sealed class ElfImage
{
    private const int HeaderSize = 64;
    private const int ProgramHeaderSize = 56;
    private const ushort EtExec = 2, EtDyn = 3, EmX86_64 = 62;
    private const uint PtLoad = 1, PtDynamic = 2, PtInterp = 3;

    /// <summary>The highest user address (exclusive): the lower canonical half of the 48-bit address space.</summary>
    public const ulong UserAddressLimit = 0x0000_8000_0000_0000;

    private ElfImage(ulong entry, IReadOnlyList<ElfSegment> segments)
    {
        Entry = entry;
        Segments = segments;
    }

    /// <summary>e_entry: the address of the first instruction (_start).</summary>
    public ulong Entry { get; }

    /// <summary>The PT_LOAD segments, sorted by address, not overlapping.</summary>
    public IReadOnlyList<ElfSegment> Segments { get; }

    /// <summary>Parses and validates an executable.</summary>
    /// <exception cref="ElfFormatException">The file is malformed or not a static x86-64 ET_EXEC executable.</exception>
    public static ElfImage Parse(ReadOnlySpan<byte> file)
    {
        if (file.Length < HeaderSize)
            throw new ElfFormatException("ELF header", 0, $"file has {file.Length} bytes, the header needs {HeaderSize}");
        if (file[0] != 0x7f || file[1] != (byte)'E' || file[2] != (byte)'L' || file[3] != (byte)'F')
            throw new ElfFormatException("e_ident[EI_MAG]", 0, "bad magic (expected 7f 45 4c 46)");
        if (file[4] != 2)
            throw new ElfFormatException("e_ident[EI_CLASS]", 4, $"is {file[4]}, expected 2 (ELFCLASS64)");
        if (file[5] != 1)
            throw new ElfFormatException("e_ident[EI_DATA]", 5, $"is {file[5]}, expected 1 (little-endian)");
        if (file[6] != 1)
            throw new ElfFormatException("e_ident[EI_VERSION]", 6, $"is {file[6]}, expected 1");

        ushort type = U16(file, 16);
        if (type == EtDyn)
            throw new ElfFormatException("e_type", 16, "ET_DYN (position-independent executable or shared object) is not supported; link with -static -no-pie");
        if (type != EtExec)
            throw new ElfFormatException("e_type", 16, $"is {type}, expected 2 (ET_EXEC)");
        ushort machine = U16(file, 18);
        if (machine != EmX86_64)
            throw new ElfFormatException("e_machine", 18, $"is {machine}, expected 62 (EM_X86_64)");
        uint version = U32(file, 20);
        if (version != 1)
            throw new ElfFormatException("e_version", 20, $"is {version}, expected 1");
        ulong entry = U64(file, 24);
        ulong phoff = U64(file, 32);
        ushort ehsize = U16(file, 52);
        if (ehsize < HeaderSize)
            throw new ElfFormatException("e_ehsize", 52, $"is {ehsize}, expected at least {HeaderSize}");
        ushort phentsize = U16(file, 54);
        ushort phnum = U16(file, 56);
        if (phnum == 0)
            throw new ElfFormatException("e_phnum", 56, "no program headers: nothing to load");
        if (phnum == 0xffff)
            throw new ElfFormatException("e_phnum", 56, "PN_XNUM (more than 65534 program headers) is not supported");
        if (phentsize != ProgramHeaderSize)
            throw new ElfFormatException("e_phentsize", 54, $"is {phentsize}, expected {ProgramHeaderSize}");
        ulong tableSize = (ulong)phnum * ProgramHeaderSize;
        if (phoff > (ulong)file.Length || tableSize > (ulong)file.Length - phoff)
            throw new ElfFormatException("e_phoff", 32, $"program header table 0x{phoff:x}+0x{tableSize:x} lies beyond the end of the file (0x{file.Length:x})");

        var segments = new List<ElfSegment>();
        for (int i = 0; i < phnum; i++)
        {
            int at = (int)phoff + i * ProgramHeaderSize;
            string name = $"program header {i}";
            uint ptype = U32(file, at);
            if (ptype == PtInterp)
                throw new ElfFormatException($"{name} p_type", at, "PT_INTERP: dynamically linked executables are not supported; link with -static");
            if (ptype == PtDynamic)
                throw new ElfFormatException($"{name} p_type", at, "PT_DYNAMIC: dynamic linking is not supported; link with -static");
            if (ptype != PtLoad)
                continue; // PT_NOTE, PT_GNU_STACK, PT_GNU_PROPERTY...: nothing to load
            uint flags = U32(file, at + 4);
            ulong offset = U64(file, at + 8);
            ulong vaddr = U64(file, at + 16);
            ulong filesz = U64(file, at + 32);
            ulong memsz = U64(file, at + 40);
            if ((flags & ~7u) != 0)
                throw new ElfFormatException($"{name} p_flags", at + 4, $"unknown flag bits 0x{flags & ~7u:x}");
            if (offset > (ulong)file.Length || filesz > (ulong)file.Length - offset)
                throw new ElfFormatException($"{name} p_filesz", at + 32, $"segment bytes 0x{offset:x}+0x{filesz:x} lie beyond the end of the file (0x{file.Length:x})");
            if (memsz < filesz)
                throw new ElfFormatException($"{name} p_memsz", at + 40, $"0x{memsz:x} is smaller than p_filesz 0x{filesz:x}");
            if (memsz == 0)
                continue;
            if (vaddr >= UserAddressLimit || memsz > UserAddressLimit - vaddr)
                throw new ElfFormatException($"{name} p_vaddr", at + 16, $"segment 0x{vaddr:x}+0x{memsz:x} wraps around or leaves the user address space");
            byte[] data = file.Slice((int)offset, (int)filesz).ToArray();
            var segment = new ElfSegment(vaddr, memsz, filesz, offset, data, (ElfSegmentFlags)flags);
            foreach (ElfSegment other in segments)
            {
                if (segment.VirtualAddress < other.End && other.VirtualAddress < segment.End)
                    throw new ElfFormatException($"{name} p_vaddr", at + 16, $"segment {segment} overlaps segment {other}");
            }
            segments.Add(segment);
        }
        if (segments.Count == 0)
            throw new ElfFormatException("e_phnum", 56, "no PT_LOAD segment: nothing to load");
        segments.Sort((a, b) => a.VirtualAddress.CompareTo(b.VirtualAddress));

        bool entryOk = false;
        foreach (ElfSegment s in segments)
            entryOk |= entry >= s.VirtualAddress && entry < s.End && (s.Flags & ElfSegmentFlags.Execute) != 0;
        if (!entryOk)
            throw new ElfFormatException("e_entry", 24, $"0x{entry:x} is not inside an executable PT_LOAD segment");
        return new ElfImage(entry, segments);
    }

    // The header was checked to be long enough for these fixed offsets before they are read.
    private static ushort U16(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt16LittleEndian(b.Slice(at, 2));
    private static uint U32(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt32LittleEndian(b.Slice(at, 4));
    private static ulong U64(ReadOnlySpan<byte> b, int at) => BinaryPrimitives.ReadUInt64LittleEndian(b.Slice(at, 8));
}
