namespace MicroKernel.Memory;

/// <summary>The VMAs of one address space, kept sorted by start address and never overlapping.</summary>
internal sealed class VmaList
{
    private readonly List<Vma> _areas = [];

    public IReadOnlyList<Vma> Areas => _areas;

    public int Count => _areas.Count;

    public Vma? Find(ulong address)
    {
        foreach (Vma v in _areas)
        {
            if (v.Contains(address)) return v;
            if (v.Start > address) break;
        }
        return null;
    }

    public bool Overlaps(ulong start, ulong end)
    {
        foreach (Vma v in _areas)
            if (v.Start < end && start < v.End) return true;
        return false;
    }

    /// <summary>True when every byte of [start, end) lies in some VMA.</summary>
    public bool Covers(ulong start, ulong end)
    {
        ulong next = start;
        foreach (Vma v in _areas)
        {
            if (v.End <= next) continue;
            if (v.Start > next) return false;
            next = v.End;
            if (next >= end) return true;
        }
        return next >= end;
    }

    /// <summary>The lowest gap of <paramref name="length"/> bytes in [low, high), or 0 when there is none.</summary>
    public ulong FindGap(ulong length, ulong low, ulong high, ulong alignment = 1)
    {
        ulong candidate = AlignUp(low, alignment);
        foreach (Vma v in _areas)
        {
            if (v.End <= candidate) continue;
            if (v.Start >= candidate + length) break;
            candidate = AlignUp(v.End, alignment);
        }
        return candidate + length <= high && candidate + length > candidate ? candidate : 0;
    }

    public void Insert(Vma vma)
    {
        int i = 0;
        while (i < _areas.Count && _areas[i].Start < vma.Start) i++;
        _areas.Insert(i, vma);
    }

    public void Remove(Vma vma) => _areas.Remove(vma);

    /// <summary>
    /// Splits VMAs at <paramref name="start"/> and <paramref name="end"/> so that whole VMAs cover exactly
    /// [start, end), and returns those (the range must be covered). The list is reused by the next call: iterate it
    /// at once (a segment's ownership move protects its area twice a send, and must not allocate).
    /// </summary>
    public List<Vma> Carve(ulong start, ulong end)
    {
        SplitAt(start);
        SplitAt(end);
        _carved.Clear();
        foreach (Vma v in _areas)
            if (v.Start >= start && v.End <= end) _carved.Add(v);
        return _carved;
    }

    private readonly List<Vma> _carved = [];

    public void Clear() => _areas.Clear();

    private void SplitAt(ulong address)
    {
        Vma? v = Find(address);
        if (v is null || v.Start == address) return;
        var tail = new Vma(address, v.End, v.Protection, v.Name) { Shared = v.Shared, Segment = v.Segment };
        v.End = address;
        Insert(tail);
    }

    // Rounds up to a power-of-two alignment (2 MiB for large pages).
    private static ulong AlignUp(ulong value, ulong alignment) => (value + alignment - 1) & ~(alignment - 1);
}
