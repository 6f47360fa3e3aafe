namespace MicroKernel.Hardware.Paging;

/// <summary>One cached translation: a virtual page, its frame, and which accesses it may serve without a walk.</summary>
internal struct TlbEntry
{
    /// <summary>Virtual page number + 1, so that 0 means "empty".</summary>
    public ulong Tag;
    /// <summary>Physical address of the frame.</summary>
    public ulong FrameBase;
    /// <summary>Bit (1 &lt;&lt; AccessKind) set when that access may hit; writes only once D is set.</summary>
    public int Allowed;
}
