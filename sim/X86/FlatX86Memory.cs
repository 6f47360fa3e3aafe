using MicroKernel.Hardware;

namespace MicroKernel.X86;

/// <summary>
/// A test implementation of <see cref="IX86Memory"/>: a sparse set of 4 KiB pages, each with its own
/// read/write/execute permission and a version stamp that changes on every write, unmap and remap.
/// No page tables, no physical frames: the kernel uses its MMU or MPU instead; this is for tests and tools.
/// </summary>
public sealed class FlatX86Memory : IX86Memory
{
    /// <summary>The page size: 4 KiB.</summary>
    public const int PageSize = 4096;

    private const ulong PageMask = PageSize - 1;

    private sealed class Page(X86Protection protection, ulong version)
    {
        public readonly byte[] Data = new byte[PageSize];
        public X86Protection Protection = protection;
        public ulong Version = version;
    }

    private readonly Dictionary<ulong, Page> _pages = [];

    // Version stamps come from one counter, so a page that is unmapped and mapped again never reuses a stamp.
    private ulong _nextVersion = 1;

    // A small direct-mapped lookup cache in front of the dictionary (like a TLB): code, stack and data pages
    // are touched in turn, and each would evict a one-entry cache.
    private const int LookupSlots = 1024; // covers a 4 MiB working set
    private readonly ulong[] _slotVpn = NewSlotTags();
    private readonly Page?[] _slotPage = new Page?[LookupSlots];

    /// <summary>How many pages are mapped.</summary>
    public int MappedPageCount => _pages.Count;

    /// <summary>Maps zeroed pages covering [address, address + length) with the given permissions.</summary>
    /// <exception cref="InvalidOperationException">A page of the range is mapped already.</exception>
    public void Map(ulong address, ulong length, X86Protection protection)
    {
        foreach (ulong vpn in PagesOf(address, length))
            if (_pages.ContainsKey(vpn))
                throw new InvalidOperationException($"page 0x{vpn * PageSize:x} is already mapped");
        foreach (ulong vpn in PagesOf(address, length))
            _pages[vpn] = new Page(protection, _nextVersion++);
        ForgetLastPage();
    }

    /// <summary>Unmaps every mapped page of [address, address + length); unmapped pages are skipped.</summary>
    public void Unmap(ulong address, ulong length)
    {
        foreach (ulong vpn in PagesOf(address, length))
            _pages.Remove(vpn);
        ForgetLastPage();
    }

    /// <summary>Changes the permissions of the mapped pages of [address, address + length).</summary>
    public void Protect(ulong address, ulong length, X86Protection protection)
    {
        foreach (ulong vpn in PagesOf(address, length))
        {
            if (_pages.TryGetValue(vpn, out Page? page))
            {
                page.Protection = protection;
                page.Version = _nextVersion++; // a remap: cached decodes must be re-checked
            }
        }
    }

    /// <summary>The permissions of the page containing address, or null when it is not mapped.</summary>
    public X86Protection? ProtectionAt(ulong address) =>
        _pages.TryGetValue(address / PageSize, out Page? page) ? page.Protection : null;

    /// <summary>
    /// Copies bytes into mapped pages ignoring permissions (a loader's or kernel's write).
    /// Bumps the version of every page touched, like any other write.
    /// </summary>
    /// <exception cref="InvalidOperationException">Part of the range is not mapped.</exception>
    public void Poke(ulong address, ReadOnlySpan<byte> bytes)
    {
        if (TryCheck(address, bytes.Length, X86Protection.None, AccessKind.Write) is { } fault)
            throw new InvalidOperationException($"Poke: {fault}");
        Copy(address, bytes);
    }

    /// <summary>Reads bytes from mapped pages ignoring permissions (for tests and dumps).</summary>
    /// <exception cref="InvalidOperationException">Part of the range is not mapped.</exception>
    public byte[] Peek(ulong address, int length)
    {
        byte[] result = new byte[length];
        if (TryCheck(address, length, X86Protection.None, AccessKind.Read) is { } fault)
            throw new InvalidOperationException($"Peek: {fault}");
        for (int done = 0; done < length;)
        {
            ulong a = address + (ulong)done;
            int inPage = (int)Math.Min((ulong)(length - done), PageSize - (a & PageMask));
            _pages[a / PageSize].Data.AsSpan((int)(a & PageMask), inPage).CopyTo(result.AsSpan(done));
            done += inPage;
        }
        return result;
    }

    /// <summary>Maps and fills the PT_LOAD segments of an ELF image (pages shared by two segments get both permissions).</summary>
    public void LoadElf(ElfImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        foreach (ElfSegment segment in image.Segments)
        {
            X86Protection protection = segment.Protection;
            foreach (ulong vpn in PagesOf(segment.VirtualAddress, segment.MemorySize))
            {
                if (_pages.TryGetValue(vpn, out Page? page))
                    page.Protection |= protection;
                else
                    _pages[vpn] = new Page(protection, _nextVersion++);
            }
            ForgetLastPage();
            Poke(segment.VirtualAddress, segment.Data); // the rest up to MemorySize stays zero (.bss)
        }
    }

    /// <summary>Maps a flat binary's code read+execute at its base.</summary>
    public void LoadFlat(FlatBinary binary)
    {
        ArgumentNullException.ThrowIfNull(binary);
        Map(binary.Base, (ulong)Math.Max(1, binary.Code.Length), X86Protection.ReadExecute);
        Poke(binary.Base, binary.Code);
    }

    /// <inheritdoc />
    public MemoryFault? Read(ulong address, Span<byte> destination, AccessKind kind)
    {
        ulong offset = address & PageMask;
        if (offset + (ulong)destination.Length <= PageSize)
        {
            // Fast path: the access stays inside one page.
            Page? page = Lookup(address / PageSize);
            X86Protection need = kind == AccessKind.Execute ? X86Protection.Execute : X86Protection.Read;
            if (page is null || (page.Protection & need) == 0)
                return Refuse(address, kind, page);
            page.Data.AsSpan((int)offset, destination.Length).CopyTo(destination);
            return null;
        }
        if (TryCheck(address, destination.Length,
                kind == AccessKind.Execute ? X86Protection.Execute : X86Protection.Read, kind) is { } fault)
            return fault;
        for (int done = 0; done < destination.Length;)
        {
            ulong a = address + (ulong)done;
            int inPage = (int)Math.Min((ulong)(destination.Length - done), PageSize - (a & PageMask));
            _pages[a / PageSize].Data.AsSpan((int)(a & PageMask), inPage).CopyTo(destination[done..]);
            done += inPage;
        }
        return null;
    }

    /// <inheritdoc />
    public MemoryFault? Write(ulong address, ReadOnlySpan<byte> source)
    {
        ulong offset = address & PageMask;
        if (offset + (ulong)source.Length <= PageSize)
        {
            // Fast path: the store stays inside one page.
            Page? page = Lookup(address / PageSize);
            if (page is null || (page.Protection & X86Protection.Write) == 0)
                return Refuse(address, AccessKind.Write, page);
            source.CopyTo(page.Data.AsSpan((int)offset));
            page.Version = _nextVersion++;
            return null;
        }
        // Every page is checked before any byte is stored, so a faulting store writes nothing, even across pages.
        if (TryCheck(address, source.Length, X86Protection.Write, AccessKind.Write) is { } fault)
            return fault;
        Copy(address, source);
        return null;
    }

    /// <inheritdoc />
    public MemoryFault? CodePageVersion(ulong address, out ulong version)
    {
        Page? page = Lookup(address / PageSize);
        if (page is null || (page.Protection & X86Protection.Execute) == 0)
        {
            version = 0;
            return Refuse(address, AccessKind.Execute, page);
        }
        version = page.Version;
        return null;
    }

    private void Copy(ulong address, ReadOnlySpan<byte> source)
    {
        for (int done = 0; done < source.Length;)
        {
            ulong a = address + (ulong)done;
            int inPage = (int)Math.Min((ulong)(source.Length - done), PageSize - (a & PageMask));
            Page page = _pages[a / PageSize];
            source.Slice(done, inPage).CopyTo(page.Data.AsSpan((int)(a & PageMask)));
            page.Version = _nextVersion++;
            done += inPage;
        }
    }

    // Checks every page of an access; need = None only checks that the pages are mapped.
    private MemoryFault? TryCheck(ulong address, int length, X86Protection need, AccessKind kind)
    {
        if (length == 0)
            return null;
        if (address + (ulong)length - 1 < address)
            return new MemoryFault(address, kind, FaultReason.NonCanonical); // wraps around the address space
        ulong first = address / PageSize, last = (address + (ulong)length - 1) / PageSize;
        for (ulong vpn = first; vpn <= last; vpn++)
        {
            Page? page = Lookup(vpn);
            ulong at = vpn == first ? address : vpn * PageSize;
            if (page is null || (page.Protection & need) != need)
                return Refuse(at, kind, page);
        }
        return null;
    }

    private static MemoryFault Refuse(ulong address, AccessKind kind, Page? page)
    {
        if (!IsCanonical(address))
            return new MemoryFault(address, kind, FaultReason.NonCanonical);
        if (page is null)
            return new MemoryFault(address, kind, FaultReason.NotPresent);
        return new MemoryFault(address, kind, kind switch
        {
            AccessKind.Write => FaultReason.ReadOnly,
            AccessKind.Execute => FaultReason.NoExecute,
            _ => FaultReason.AccessDenied,
        });
    }

    private static bool IsCanonical(ulong address) => (ulong)((long)(address << 16) >> 16) == address;

    private Page? Lookup(ulong vpn)
    {
        int slot = (int)(vpn % LookupSlots);
        if (_slotVpn[slot] == vpn)
            return _slotPage[slot];
        _pages.TryGetValue(vpn, out Page? page);
        _slotVpn[slot] = vpn;
        _slotPage[slot] = page;
        return page;
    }

    private static ulong[] NewSlotTags()
    {
        var tags = new ulong[LookupSlots];
        Array.Fill(tags, ulong.MaxValue); // no page number is ulong.MaxValue
        return tags;
    }

    // Called whenever pages are mapped or unmapped: the lookup cache may hold the old answer.
    private void ForgetLastPage()
    {
        Array.Fill(_slotVpn, ulong.MaxValue);
        Array.Clear(_slotPage);
    }

    private static IEnumerable<ulong> PagesOf(ulong address, ulong length)
    {
        if (length == 0)
            yield break;
        ulong first = address / PageSize;
        ulong last = (address + length - 1) / PageSize;
        if (last < first)
            throw new ArgumentOutOfRangeException(nameof(length), "range wraps around the address space");
        for (ulong vpn = first; vpn <= last; vpn++)
            yield return vpn;
    }
}
