namespace MicroKernel.Memory;

/// <summary>
/// Options of the map syscall beyond the protection. They travel in the prot argument above its rwx bits (the map
/// syscall has three arguments; Linux passes MAP_HUGETLB among its own flags).
/// </summary>
[Flags]
public enum MapFlags : ulong
{
    /// <summary>Ordinary 4 KiB pages.</summary>
    None = 0,
    /// <summary>
    /// Map with 2 MiB pages (a PDE with PS): one TLB entry covers 512 times more memory. The address (when given) must
    /// be 2 MiB-aligned, the length is rounded up to 2 MiB, and each page needs 512 free frames, contiguous and
    /// 2 MiB-aligned. Paging only: an MPU has no pages (InvalidArgument).
    /// </summary>
    LargePages = 0x100,
}
