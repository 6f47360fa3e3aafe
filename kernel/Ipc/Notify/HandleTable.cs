namespace MicroKernel.Ipc.Notify;

/// <summary>
/// A process's notification handles: small integers from 1, the lowest free one first (like file descriptors), so
/// a run always hands out the same numbers. A handle stays valid after its object is closed (uses then return
/// ObjectClosed) until the process closes the handle too.
/// </summary>
internal sealed class HandleTable
{
    /// <summary>Handles per process.</summary>
    public const int Capacity = 64;

    private readonly NotifyObject?[] _slots = new NotifyObject?[Capacity];

    /// <summary>Handles in use.</summary>
    public int Count { get; private set; }

    /// <summary>Stores <paramref name="n"/> under the lowest free handle; 0 when the table is full.</summary>
    public int Add(NotifyObject n)
    {
        for (int i = 0; i < Capacity; i++)
        {
            if (_slots[i] is not null) continue;
            _slots[i] = n;
            Count++;
            return i + 1;
        }
        return 0;
    }

    /// <summary>The object behind <paramref name="handle"/>, or null when the handle is not in use.</summary>
    public NotifyObject? Find(ulong handle) => handle is >= 1 and <= Capacity ? _slots[handle - 1] : null;

    /// <summary>Frees <paramref name="handle"/> (which must be in use).</summary>
    public void Remove(ulong handle)
    {
        _slots[handle - 1] = null;
        Count--;
    }

    /// <summary>True when some handle of this table refers to <paramref name="n"/>.</summary>
    public bool Refers(NotifyObject n) => Array.Exists(_slots, s => ReferenceEquals(s, n));

    /// <summary>Frees every handle.</summary>
    public void Clear()
    {
        Array.Clear(_slots);
        Count = 0;
    }
}
