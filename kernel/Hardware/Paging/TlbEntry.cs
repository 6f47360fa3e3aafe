namespace MicroKernel.Hardware.Paging;

/// <summary>
/// One cached translation: a virtual page (4 KiB, 2 MiB or 1 GiB, by the array it sits in), its physical base, which
/// accesses it may serve without a walk, and whether it is global.
/// </summary>
internal struct TlbEntry
{
    /// <summary>Virtual page number (in units of the entry's page size) + 1, so that 0 means "empty".</summary>
    public ulong Tag;
    /// <summary>Physical address of the page (aligned to the entry's page size).</summary>
    public ulong FrameBase;
    /// <summary>
    /// Bit (1 &lt;&lt; AccessKind) set when that user access may hit, bit (8 &lt;&lt; AccessKind) for a supervisor
    /// access; writes only once D is set.
    /// </summary>
    public int Allowed;
    /// <summary>Made through a leaf with G while CR4.PGE was set: survives CR3 loads.</summary>
    public bool Global;
}
