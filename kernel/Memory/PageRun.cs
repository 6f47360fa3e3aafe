namespace MicroKernel.Memory;

/// <summary>
/// Pages in transit between address spaces (an IPC message's payload): the frames, one reference each owned by
/// whoever holds the run, in page order. Under an MPU the frames are one contiguous block.
/// </summary>
public sealed class PageRun
{
    /// <summary>Creates a run of <paramref name="frames"/>.</summary>
    public PageRun(ulong[] frames, bool copyOnWrite)
    {
        Frames = frames;
        CopyOnWrite = copyOnWrite;
    }

    /// <summary>The frames, first page first.</summary>
    public IReadOnlyList<ulong> Frames { get; }

    /// <summary>The receiver must map these copy-on-write: other address spaces hold the same frames as copies.</summary>
    public bool CopyOnWrite { get; }

    /// <summary>Number of pages.</summary>
    public int Count => Frames.Count;
}
