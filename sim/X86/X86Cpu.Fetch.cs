using Iced.Intel;
using MicroKernel.Hardware;

namespace MicroKernel.X86;

// Instruction fetch and the decoded-instruction cache.
public sealed partial class X86Cpu
{
    private const int PageSize = 4096;
    private const int MaxInstructionLength = 15;

    /// <summary>The decoded instructions of one code page, valid while the page's version stamp is unchanged.</summary>
    private sealed class CodePage(ulong vpn)
    {
        public readonly ulong Vpn = vpn;
        public ulong Version;
        public readonly byte[] Bytes = new byte[PageSize];
        // Slots[offset] = 1 + index into Decoded, or 0 when nothing was decoded at that offset yet.
        public readonly ushort[] Slots = new ushort[PageSize];
        public Instruction[] Decoded = new Instruction[32];
        public int Count;
        // True when the whole page could not be read for execution (e.g. an MPU region covers only part of it):
        // its instructions are then fetched one by one through the memory, never cached.
        public bool Uncacheable;
        // The translator's blocks by start offset (X86Cpu.Translate.cs), dropped with the decodes.
        public X86Block?[]? Blocks;

        public void Clear()
        {
            Array.Clear(Slots);
            Count = 0;
            Blocks = null;
        }
    }

    private readonly CodeBufferReader _reader = new();
    private readonly Decoder _decoder;
    private readonly Dictionary<ulong, CodePage> _codePages = [];
    private CodePage? _page;                 // the page the last instruction came from
    private ulong _pageVpn = ulong.MaxValue;
    private bool _codeStale = true;          // set at Run and by stores that may hit code: re-check the version before trusting _page
    private ulong _codePageFilter;           // bit (vpn % 64) is set for every cached code page: a cheap "may be code" test for stores
    private readonly byte[] _fetchBytes = new byte[2 * MaxInstructionLength];
    private Instruction _uncached;           // instructions that are not cached (no cache, or crossing a page end)

    /// <summary>
    /// Notes a store for the decode cache. A store to a page that may hold cached code (same virtual page number)
    /// makes the next fetch re-check the code page's version, so self-modifying code is seen at once. With
    /// <see cref="CheckCodeAfterEveryStore"/> every store does, which also catches a store through another
    /// mapping (alias) of a code frame within the same run; otherwise such a store is seen at the next Run.
    /// </summary>
    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private void NoteStore(ulong address, int size)
    {
        ulong first = address / PageSize, last = (address + (ulong)size - 1) / PageSize;
        if (CheckCodeAfterEveryStore || ((_codePageFilter >> (int)(first % 64)) & 1) != 0 || first != last)
            _codeStale = true;
    }

    /// <summary>
    /// When true, every store makes the next fetch re-check the code page's version (slower; exact even for
    /// code written through an alias mapping within one run). When false (default), only stores to a page
    /// number that may hold cached code do; memory changed in other ways is always noticed at the next Run.
    /// </summary>
    public bool CheckCodeAfterEveryStore
    {
        get => _checkEveryStore;
        set
        {
            _checkEveryStore = value;
            // Saturating the filter makes every store "may be code": compiled code's inlined store tests only the filter.
            _codePageFilter = value ? ~0UL : _codePages.Keys.Aggregate(0UL, (f, vpn) => f | (1UL << (int)(vpn % 64)));
        }
    }

    private bool _checkEveryStore;

    /// <summary>Drops every cached decode (they would be re-validated anyway; this also frees the memory).</summary>
    public void InvalidateDecodeCache()
    {
        _codePages.Clear();
        _codePageFilter = _checkEveryStore ? ~0UL : 0;
        _page = null;
        _pageVpn = ulong.MaxValue;
    }

    /// <summary>How many code pages the decode cache currently holds.</summary>
    public int CachedCodePages => _codePages.Count;

    [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.AggressiveInlining)]
    private ref Instruction Fetch(ulong rip)
    {
        if (!UsesDecodeCache)
            return ref FetchUncached(rip);
        ulong vpn = rip / PageSize;
        CodePage? page = _page;
        if (vpn != _pageVpn || _codeStale || page is null)
            page = EnterPage(rip);
        int slot = page.Slots[(int)(rip % PageSize)];
        if (slot != 0)
            return ref page.Decoded[slot - 1];
        if (page.Uncacheable)
            return ref FetchUncached(rip);
        return ref DecodeIntoPage(page, rip);
    }

    /// <summary>Makes the page holding rip current, re-reading it if its version changed since it was decoded.</summary>
    private CodePage EnterPage(ulong rip)
    {
        if (_memory.CodePageVersion(rip, out ulong version) is { } fault)
            throw FetchFault(fault);
        ulong vpn = rip / PageSize;
        CodePage? page = vpn == _pageVpn ? _page : null; // after a store we usually stay on the same page
        if (page is null && !_codePages.TryGetValue(vpn, out page))
        {
            page = new CodePage(vpn);
            LoadPage(page, version);
            _codePages.Add(vpn, page);
            _codePageFilter |= 1UL << (int)(vpn % 64);
        }
        else if (page.Version != version)
        {
            page.Clear(); // written, unmapped or remapped since: every decode on it is stale
            LoadPage(page, version);
        }
        _page = page;
        _pageVpn = vpn;
        _codeStale = false;
        return page;
    }

    private void LoadPage(CodePage page, ulong version)
    {
        page.Uncacheable = _memory.Read(page.Vpn * PageSize, page.Bytes, AccessKind.Execute) is not null;
        page.Version = version;
    }

    private ref Instruction DecodeIntoPage(CodePage page, ulong rip)
    {
        int offset = (int)(rip % PageSize);
        _reader.Reset(page.Bytes, offset, PageSize);
        _decoder.IP = rip;
        _decoder.Decode(out Instruction ins);
        if (_decoder.LastError == DecoderError.NoMoreBytes)
        {
            // The instruction runs into the next page. Its bytes depend on two pages, so it is not cached:
            // it is fetched again (through the memory, with both pages checked) every time it executes.
            return ref FetchUncached(rip);
        }
        if (page.Count == page.Decoded.Length)
            Array.Resize(ref page.Decoded, page.Count * 2);
        page.Decoded[page.Count] = ins;
        page.Count++;
        page.Slots[offset] = (ushort)page.Count;
        return ref page.Decoded[page.Count - 1];
    }

    /// <summary>
    /// Fetches and decodes one instruction through the memory. Bytes are fetched only as far as the instruction
    /// needs: an instruction that ends just before an unmapped page (or the end of an MPU region) must not fault.
    /// </summary>
    private ref Instruction FetchUncached(ulong rip)
    {
        int firstChunk = (int)Math.Min(MaxInstructionLength, PageSize - rip % PageSize);
        int have = FetchBytes(rip, 0, firstChunk, out MemoryFault? refused);
        _reader.Reset(_fetchBytes, 0, have);
        _decoder.IP = rip;
        _decoder.Decode(out _uncached);
        if (_decoder.LastError == DecoderError.NoMoreBytes)
        {
            if (refused is { } fault)
                throw FetchFault(fault); // the instruction needs a byte we may not fetch
            // It runs into the next page: only now is that page fetched.
            have += FetchBytes(rip + (ulong)have, have, MaxInstructionLength - have, out refused);
            _reader.Reset(_fetchBytes, 0, have);
            _decoder.IP = rip;
            _decoder.Decode(out _uncached);
            if (_decoder.LastError == DecoderError.NoMoreBytes && refused is { } fault2)
                throw FetchFault(fault2);
        }
        return ref _uncached;
    }

    /// <summary>
    /// Reads up to count instruction bytes at address into _fetchBytes[offset..]; on a fault, reads the bytes
    /// before the refused address instead. Returns how many bytes were read; refused is the fault, if any.
    /// </summary>
    private int FetchBytes(ulong address, int offset, int count, out MemoryFault? refused)
    {
        refused = _memory.Read(address, _fetchBytes.AsSpan(offset, count), AccessKind.Execute);
        if (refused is not { } fault)
            return count;
        ulong readable = fault.Address - address;
        if (fault.Address <= address || readable >= (ulong)count
            || _memory.Read(address, _fetchBytes.AsSpan(offset, (int)readable), AccessKind.Execute) is not null)
            return 0;
        return (int)readable;
    }

    private static X86FaultException FetchFault(MemoryFault fault) =>
        new(fault.Reason, fault, $"instruction fetch: {fault}", duringFetch: true);
}
