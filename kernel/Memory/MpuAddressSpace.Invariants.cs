using System.Numerics;
using MicroKernel.Hardware;

namespace MicroKernel.Memory;

// The mpu-regions invariant: a space holds no more regions than its budget, and each region is one the MPU model
// can hold (and, while loaded, the MPU really grants what the VMA says).
public sealed partial class MpuAddressSpace
{
    /// <summary>Problems with this space's regions (<paramref name="owner"/> names it in messages); none when sound.</summary>
    internal IEnumerable<string> CheckRegions(string owner)
    {
        if (IsDestroyed) yield break;
        if (RegionsTaken > RegionBudget) yield return $"{owner}: {RegionsTaken} regions in use, over the budget of {RegionBudget}";
        foreach (Vma v in Vmas.Areas)
        {
            string where = $"{owner}: region for VMA {v} (frames {v.FirstFrame}+{v.BlockFrames})";
            if (v.BlockFrames == 0 || v.Start != v.FirstFrame * PageSize || v.Length != v.BlockFrames * PageSize)
                yield return $"{where} does not cover exactly its block";
            else if (v.End > Machine.Memory.Size)
                yield return $"{where} runs past the end of RAM";
            else if (IsV7 && (!BitOperations.IsPow2(v.BlockFrames) || v.FirstFrame % v.BlockFrames != 0))
                yield return $"{where} is not a power-of-two block aligned to its size (ARMv7-M)";
            else if (IsActive && (v.Protection & Protection.Read) != 0 && _mpu.Check(v.Start, v.Length, AccessKind.Read, privileged: false) is { } f)
                yield return $"{where} is loaded but the MPU refuses a read at 0x{f.Address:x} ({f.Reason})";
        }
    }
}
