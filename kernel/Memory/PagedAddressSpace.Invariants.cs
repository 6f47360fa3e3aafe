using MicroKernel.Hardware.Paging;

namespace MicroKernel.Memory;

// The page-tables-match-vmas invariant: the tables the MMU walks say what the VMAs say.
public sealed partial class PagedAddressSpace
{
    /// <summary>
    /// Problems between the page tables and the VMAs of this space (<paramref name="owner"/> names it in messages):
    /// a user leaf outside every VMA, a leaf whose flags do not enforce its VMA's protection (or that is global), a VMA
    /// page with no leaf. A 2 MiB page is checked as the 512 leaves it stands for.
    /// </summary>
    internal IEnumerable<string> CheckTablesAgainstVmas(string owner)
    {
        if (IsDestroyed) yield break;
        var seen = new HashSet<ulong>();
        foreach ((ulong va, ulong entry) in _table.Leaves())
        {
            if (va >= UserTop || (entry & (Pte.Present | Pte.SoftKept)) == 0) continue;
            seen.Add(va);
            Vma? v = Vmas.Find(va);
            if (v is null) { yield return $"{owner}: page 0x{va:x} is mapped (frame {Pte.FrameOf(entry)}) but lies in no VMA"; continue; }
            if (WrongFlags(entry, v.Protection) is { } why) yield return $"{owner}: page 0x{va:x} of VMA {v}: {why} (entry 0x{entry:x})";
        }
        foreach (Vma v in Vmas.Areas)
            for (ulong va = v.Start; va < v.End; va += PageSize)
                if (!seen.Contains(va)) yield return $"{owner}: page 0x{va:x} of VMA {v} has no page-table entry";
    }

    // Why a leaf does not enforce `protection`, or null when it does (a copy-on-write page may be read-only).
    private static string? WrongFlags(ulong entry, Protection protection)
    {
        bool present = (entry & Pte.Present) != 0;
        if (protection == Protection.None) return present ? "a guard page (---) is present" : null;
        if (!present) return "the page is not present";
        if ((entry & Pte.User) == 0) return "the page is supervisor-only";
        // G keeps a translation across CR3 loads: a global user page would stay reachable from the next process.
        if ((entry & Pte.Global) != 0) return "the page is global";
        bool writable = (entry & Pte.Writable) != 0, wantWrite = (protection & Protection.Write) != 0;
        if (writable && !wantWrite) return "the page is writable";
        if (!writable && wantWrite && (entry & Pte.SoftCopyOnWrite) == 0) return "the page is read-only and not copy-on-write";
        bool executable = (entry & Pte.NoExecute) == 0;
        if (executable != ((protection & Protection.Execute) != 0)) return executable ? "the page is executable" : "the page is not executable";
        return null;
    }
}
