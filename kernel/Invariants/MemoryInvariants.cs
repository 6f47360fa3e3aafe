using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.Invariants;

/// <summary>
/// The invariants of memory: frame accounting, the hardware structures (page tables, TLB, MPU regions) against the
/// VMAs the kernel keeps. The first entries of every kernel's catalogue. Each declares what it reads: the ones that
/// walk the process table read <see cref="CheckedState.Other"/> too (a process that exits changes what is live), and
/// frame accounting counts IPC pins, which the families hold (Other).
/// </summary>
internal static class MemoryInvariants
{
    public static IEnumerable<Invariant> For(Kernel k) =>
    [
        new("frame-accounting",
            "the allocator's books balance, and every used frame has as many references as mappings plus IPC pins",
            () => FrameAccounting(k), CheckedState.Frames | CheckedState.Spaces | CheckedState.Other),
        new("no-freed-frame-mapped", "no live address space maps a free frame (or one beyond RAM)", () => NoFreedFrameMapped(k),
            CheckedState.Frames | CheckedState.Spaces | CheckedState.Other),
        new("page-tables-match-vmas",
            "under paging, every user page-table entry lies in a VMA and has its protection, and every VMA page has one",
            () => SpacesOf<PagedAddressSpace>(k).SelectMany(x => x.Item2.CheckTablesAgainstVmas(x.Item1.ToString())),
            CheckedState.Spaces | CheckedState.Other),
        new("tlb-coherence", "every valid TLB entry equals a fresh walk of the loaded page tables (no stale translation)",
            () => k.Config.Protection == ProtectionModel.Paging ? k.Machine.Mmu.StaleTranslations() : [],
            CheckedState.Tlb | CheckedState.Spaces),
        new("mpu-regions", "an MPU address space keeps within its region budget, each region well-formed for the model",
            () => SpacesOf<MpuAddressSpace>(k).SelectMany(x => x.Item2.CheckRegions(x.Item1.ToString())),
            CheckedState.Spaces | CheckedState.Other),
    ];

    // (process, space) of every process whose memory is alive, lowest pid first.
    private static IEnumerable<(Process, AddressSpace)> LiveSpaces(Kernel k) =>
        k.Processes.Where(p => !p.AddressSpace.IsDestroyed).Select(p => (p, p.AddressSpace));

    private static IEnumerable<(Process, TSpace)> SpacesOf<TSpace>(Kernel k) where TSpace : AddressSpace =>
        LiveSpaces(k).Where(x => x.Item2 is TSpace).Select(x => (x.Item1, (TSpace)x.Item2));

    private static IEnumerable<string> FrameAccounting(Kernel k)
    {
        FrameAllocator frames = k.Frames;
        foreach (string p in frames.CheckInvariants()) yield return p;
        var mappings = new int[frames.TotalCount]; // mappings of each frame, over every live address space
        foreach ((Process p, AddressSpace space) in LiveSpaces(k))
            foreach ((ulong va, ulong frame) in space.UserFrames())
            {
                if (frame >= (ulong)frames.TotalCount) continue; // no-freed-frame-mapped reports it
                if (frames.UseOf(frame) == FrameUse.Kernel) yield return $"{p} maps 0x{va:x} to frame {frame}, which is the kernel's";
                mappings[frame]++;
            }
        for (ulong f = 0; f < (ulong)frames.TotalCount; f++)
        {
            // A free frame that is mapped is no-freed-frame-mapped's to report; kernel frames are counted by their owner.
            if (frames.UseOf(f) != FrameUse.User && (mappings[f] == 0 || frames.UseOf(f) == FrameUse.Free)) continue;
            int pinned = k.PinnedReferences(f);
            if (mappings[f] == 0 && pinned == 0) yield return $"frame {f} is a user frame that nothing maps (leaked)";
            else if (frames.RefCount(f) != mappings[f] + pinned)
                yield return $"frame {f} has {frames.RefCount(f)} references but {mappings[f]} mappings and {pinned} IPC pins";
        }
    }

    private static IEnumerable<string> NoFreedFrameMapped(Kernel k)
    {
        foreach ((Process p, AddressSpace space) in LiveSpaces(k))
            foreach ((ulong va, ulong frame) in space.UserFrames())
                if (frame >= (ulong)k.Frames.TotalCount) yield return $"{p} maps 0x{va:x} to frame {frame}, beyond the {k.Frames.TotalCount} frames of RAM";
                else if (k.Frames.UseOf(frame) == FrameUse.Free) yield return $"{p} maps 0x{va:x} to frame {frame}, which is free";
    }
}
