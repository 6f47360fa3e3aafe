using System.Numerics;
using MicroKernel.Hardware;

namespace MicroKernel.Memory;

/// <summary>
/// Hands out physical frames and counts references to them. A frame is free, kernel-owned, or user frames
/// referenced by one or more mappings; <see cref="CheckInvariants"/> proves the books balance.
/// Lowest free frame first, so runs are deterministic and easy to read in dumps.
/// </summary>
public sealed class FrameAllocator
{
    private readonly PhysicalMemory _memory;
    private readonly FrameUse[] _use;
    private readonly int[] _refs;
    private readonly ulong[] _freeBitmap; // bit set = free
    private int _searchHint;

    /// <summary>Creates the allocator; frames below <paramref name="reservedFrames"/> are kernel-owned from boot.</summary>
    public FrameAllocator(PhysicalMemory memory, int reservedFrames = 1)
    {
        _memory = memory;
        int n = memory.FrameCount;
        _use = new FrameUse[n];
        _refs = new int[n];
        _freeBitmap = new ulong[(n + 63) / 64];
        for (int f = 0; f < n; f++)
        {
            if (f < reservedFrames) { _use[f] = FrameUse.Kernel; _refs[f] = 1; KernelCount++; }
            else { _freeBitmap[f >> 6] |= 1UL << (f & 63); FreeCount++; }
        }
    }

    /// <summary>All frames of the machine.</summary>
    public int TotalCount => _use.Length;

    /// <summary>Frames on the free list.</summary>
    public int FreeCount { get; private set; }

    /// <summary>Frames owned by the kernel.</summary>
    public int KernelCount { get; private set; }

    /// <summary>Frames mapped by user address spaces.</summary>
    public int UserCount { get; private set; }

    /// <summary>Counts every successful allocation (for statistics and fault injection).</summary>
    public long Allocations { get; private set; }

    /// <summary>
    /// The kernel's fault injector when its plan has a <c>frames</c> (or <c>random</c>) rule, else null: each allocation
    /// request asks it first, and a refused one fails as if memory were exhausted (docs/faults.md).
    /// </summary>
    internal Faults.FaultInjector? Injector { get; set; }

    // One allocation request: refused by a fault rule? (Null injector: no rule can refuse, one null check.)
    private bool Refused() => Injector is { } f && f.RefuseFrameAllocation();

    /// <summary>What <paramref name="frame"/> is used for.</summary>
    public FrameUse UseOf(ulong frame) => _use[frame];

    /// <summary>How many references <paramref name="frame"/> has (0 when free).</summary>
    public int RefCount(ulong frame) => _refs[frame];

    /// <summary>
    /// Allocates one zeroed frame with one reference, or returns false when none is free. Throws
    /// <see cref="ArgumentOutOfRangeException"/> when <paramref name="use"/> is not Kernel or User (as do the other
    /// allocations): a frame taken for no known owner would be counted nowhere.
    /// </summary>
    public bool TryAllocate(FrameUse use, out ulong frame)
    {
        frame = 0;
        RequireOwner(use);
        if (Refused() || FreeCount == 0) return false;
        int f = FindFree(_searchHint, 1, 1);
        if (f < 0) f = FindFree(0, 1, 1);
        if (f < 0) return false;
        Take(f, use);
        _searchHint = f + 1 < _use.Length ? f + 1 : 0;
        frame = (ulong)f;
        return true;
    }

    /// <summary>
    /// Allocates <paramref name="count"/> physically contiguous zeroed frames whose first frame number is a multiple of
    /// <paramref name="alignFrames"/> (what an MPU region needs). Returns false when no such run is free.
    /// </summary>
    public bool TryAllocateContiguous(int count, int alignFrames, FrameUse use, out ulong firstFrame)
    {
        firstFrame = 0;
        RequireOwner(use);
        if (count <= 0 || alignFrames <= 0 || Refused() || count > FreeCount) return false;
        int f = FindFree(0, count, alignFrames);
        if (f < 0) return false;
        for (int i = 0; i < count; i++) Take(f + i, use);
        firstFrame = (ulong)f;
        return true;
    }

    /// <summary>
    /// Allocates exactly frames [<paramref name="firstFrame"/>, <paramref name="firstFrame"/> + <paramref name="count"/>)
    /// (an MPU program loaded at a fixed physical address). False, allocating nothing, when any of them is not free.
    /// </summary>
    public bool TryAllocateAt(ulong firstFrame, int count, FrameUse use)
    {
        RequireOwner(use);
        if (count <= 0 || firstFrame + (ulong)count > (ulong)_use.Length || Refused()) return false;
        for (int i = 0; i < count; i++)
            if (_use[(int)firstFrame + i] != FrameUse.Free) return false;
        for (int i = 0; i < count; i++) Take((int)firstFrame + i, use);
        return true;
    }

    /// <summary>Adds a reference to a user frame that another mapping now shares.</summary>
    public void AddRef(ulong frame)
    {
        if (_use[frame] == FrameUse.Free) throw new InvalidOperationException($"AddRef of free frame {frame}");
        _memory.Changes.Mark(Invariants.CheckedState.Frames);
        _refs[frame]++;
    }

    /// <summary>Drops a reference; the frame returns to the free list when none is left.</summary>
    public void Release(ulong frame)
    {
        if (_use[frame] == FrameUse.Free || _refs[frame] <= 0)
            throw new InvalidOperationException($"double free of frame {frame}");
        _memory.Changes.Mark(Invariants.CheckedState.Frames);
        if (--_refs[frame] > 0) return;
        Count(_use[frame], -1);
        _use[frame] = FrameUse.Free;
        FreeCount++;
        _freeBitmap[frame >> 6] |= 1UL << (int)(frame & 63);
        // Keep "no free frame below the hint" true, so allocation stays lowest free frame first.
        if ((int)frame < _searchHint) _searchHint = (int)frame;
    }

    /// <summary>Changes the owner kind of an allocated frame (e.g. an in-flight IPC page becomes mapped again).</summary>
    public void Retag(ulong frame, FrameUse use)
    {
        if (_use[frame] == FrameUse.Free || use is not (FrameUse.Kernel or FrameUse.User))
            throw new InvalidOperationException($"bad retag of frame {frame} to {use}");
        _memory.Changes.Mark(Invariants.CheckedState.Frames);
        Count(_use[frame], -1);
        _use[frame] = use;
        Count(use, +1);
    }

    /// <summary>
    /// Checks that free + kernel + user = total and that each frame's state agrees with its reference count and
    /// the free bitmap. Returns the problems found (empty when the books balance).
    /// </summary>
    public IReadOnlyList<string> CheckInvariants()
    {
        var problems = new List<string>();
        int free = 0, kernel = 0, user = 0;
        for (int f = 0; f < _use.Length; f++)
        {
            bool inBitmap = (_freeBitmap[f >> 6] & (1UL << (f & 63))) != 0;
            switch (_use[f])
            {
                case FrameUse.Free:
                    free++;
                    if (_refs[f] != 0) problems.Add($"frame {f} is free with {_refs[f]} references");
                    if (!inBitmap) problems.Add($"frame {f} is free but not on the free list");
                    break;
                case FrameUse.Kernel: kernel++; goto default;
                case FrameUse.User: user++; goto default;
                default:
                    if (_refs[f] <= 0) problems.Add($"frame {f} is {_use[f]} with {_refs[f]} references");
                    if (inBitmap) problems.Add($"frame {f} is {_use[f]} but on the free list");
                    break;
            }
        }
        if (free != FreeCount || kernel != KernelCount || user != UserCount)
            problems.Add($"counters free={FreeCount} kernel={KernelCount} user={UserCount} disagree with frames free={free} kernel={kernel} user={user}");
        if (free + kernel + user != TotalCount) problems.Add("free + kernel + user != total");
        return problems;
    }

    // A frame is taken for the kernel or for user mappings: Free would put an allocated frame on no list, and a value
    // outside the enum (a cast from a number) would be counted nowhere and break free + kernel + user = total.
    private static void RequireOwner(FrameUse use)
    {
        if (use is not (FrameUse.Kernel or FrameUse.User))
            throw new ArgumentOutOfRangeException(nameof(use), use, "a frame is allocated for the kernel or for user mappings");
    }

    private void Take(int f, FrameUse use)
    {
        _memory.Changes.Mark(Invariants.CheckedState.Frames);
        _freeBitmap[f >> 6] &= ~(1UL << (f & 63));
        _use[f] = use;
        _refs[f] = 1;
        FreeCount--;
        Count(use, +1);
        Allocations++;
        _memory.ZeroFrame((ulong)f);
    }

    private void Count(FrameUse use, int delta)
    {
        if (use == FrameUse.Kernel) KernelCount += delta;
        else if (use == FrameUse.User) UserCount += delta;
    }

    // First free run of `count` frames starting at a multiple of `align`, at or after `from`; -1 if none.
    private int FindFree(int from, int count, int align)
    {
        int n = _use.Length;
        if (count == 1 && align == 1)
        {
            for (int w = from >> 6; w < _freeBitmap.Length; w++)
            {
                ulong bits = _freeBitmap[w];
                if (w == from >> 6) bits &= ~0UL << (from & 63);
                if (bits != 0) { int f = (w << 6) + BitOperations.TrailingZeroCount(bits); return f < n ? f : -1; }
            }
            return -1;
        }
        int start = (from + align - 1) / align * align;
        for (int f = start; f + count <= n; f += align)
        {
            int i = 0;
            while (i < count && _use[f + i] == FrameUse.Free) i++;
            if (i == count) return f;
        }
        return -1;
    }
}
