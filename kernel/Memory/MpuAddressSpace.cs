using System.Numerics;
using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Hardware.Mpu;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// An address space under an MPU: no translation (virtual = physical), each VMA backed by one physically
/// contiguous block of frames and guarded by one MPU region. ARMv7-M regions are powers of two aligned to their
/// size, so a VMA is rounded up to such a block; ARMv8-M regions are base/limit, so a VMA is exactly its pages.
/// The MPU has few regions: a process holds at most <see cref="RegionBudget"/> VMAs, and running out is the
/// <see cref="ErrorCode.NoMpuRegion"/> error, not a silent failure.
/// </summary>
public sealed partial class MpuAddressSpace : AddressSpace
{
    private readonly Mpu _mpu;

    /// <summary>Creates an empty region set on a machine with an MPU.</summary>
    /// <param name="machine">The machine; its <see cref="Machine.Mpu"/> must be set.</param>
    /// <param name="frames">The frame allocator.</param>
    /// <param name="reservedRegions">Regions kept free for temporary grants (RPC), not usable by VMAs.</param>
    public MpuAddressSpace(Machine machine, FrameAllocator frames, int reservedRegions = 0) : base(machine, frames)
    {
        _mpu = machine.Mpu ?? throw new ArgumentException("machine has no MPU", nameof(machine));
        RegionBudget = _mpu.RegionCount - reservedRegions;
    }

    /// <summary>How many VMAs (regions) this space may hold.</summary>
    /// <remarks>Settable inside the kernel assembly only so that a test can model a budget breach for the mpu-regions invariant.</remarks>
    public int RegionBudget { get; internal set; }

    /// <inheritdoc />
    public override ulong UserLow => PhysicalMemory.FrameSize;

    /// <inheritdoc />
    public override ulong UserHigh => Machine.Memory.Size;

    // Loaded: the MPU holds exactly this space's regions.
    private bool IsActive => ReferenceEquals(Machine.MpuOwner, this);

    // An RPC grant over this space is loaded: changes here must reach the MPU too, and its SHARED regions count.
    private MpuGrantSpace? LoadedGrant => Machine.MpuOwner is MpuGrantSpace g && ReferenceEquals(g.Callee, this) ? g : null;

    // Regions taken by VMAs plus the SHARED regions of a loaded grant over this space.
    private int RegionsTaken => Vmas.Count + (LoadedGrant?.SharedRegions ?? 0);

    private bool IsV7 => _mpu is ArmV7Mpu;

    /// <inheritdoc />
    public override ulong MainStackAddress(ulong size) => 0;

    /// <inheritdoc />
    public override string? MapRefusalAdvice(ulong start, ulong length, ErrorCode error)
    {
        // No translation: a fixed address past the end of RAM names memory this machine does not have.
        if (error == ErrorCode.BadAddress && start >= UserLow && start + length > UserHigh)
            return $"there is no translation under an MPU, so the segment's address is a physical one, and this machine's " +
                $"RAM ends at 0x{UserHigh:x} ({UserHigh / PageSize} frames). Give the machine more frames (this segment alone " +
                $"needs at least {RoundUp(start + length) / PageSize}: scenario `memory N`, `exec --memory N`), or run it under Paging";
        // Page-aligned addresses are refused as misaligned only by the ARMv7-M rule.
        if (error != ErrorCode.Misaligned || !IsV7) return null;
        ulong block = BitOperations.RoundUpToPowerOf2(RoundUp(length) / PageSize) * PageSize;
        return $"an ARMv7-M MPU region must be a power of two bytes long and start at a multiple of its size; " +
            $"this segment needs a {block / 1024} KiB region at a multiple of 0x{block:x}. Link it at such an address " +
            "(e.g. -Wl,-Ttext-segment=...), or run it under ArmV8Mpu or Paging";
    }

    /// <inheritdoc />
    public override bool TryTranslate(ulong virtualAddress, int length, AccessKind access, out ulong physicalAddress, out MemoryFault fault)
    {
        physicalAddress = virtualAddress;
        if (IsActive) return CheckLoaded(_mpu, virtualAddress, length, access, out fault);
        return CheckInactive(virtualAddress, length, access, out fault);
    }

    // The kernel reading a space the MPU does not hold: apply the same rules from the VMA list.
    private bool CheckInactive(ulong va, int length, AccessKind access, out MemoryFault fault)
    {
        fault = default;
        Vma? v = IsDestroyed ? null : Vmas.Find(va);
        if (v is null || va + (ulong)length > v.End) { fault = new(v is null ? va : v.End, access, FaultReason.NoRegion); return false; }
        FaultReason? reason = v.Protection == Protection.None ? FaultReason.Supervisor
            : access == AccessKind.Write && (v.Protection & Protection.Write) == 0 ? FaultReason.ReadOnly
            : access == AccessKind.Execute && (v.Protection & Protection.Execute) == 0 ? FaultReason.NoExecute
            : null;
        if (reason is { } r) { fault = new(va, access, r); return false; }
        return true;
    }

    /// <inheritdoc />
    public override void Activate()
    {
        if (IsActive) return;
        _mpu.DisableAll();
        if (IsDestroyed) { Machine.MpuOwner = null; return; }
        IReadOnlyList<Vma> areas = Vmas.Areas;
        for (int n = 0; n < areas.Count; n++) Program(n, areas[n]); // by index: a switch allocates nothing
        Machine.MpuOwner = this;
    }

    /// <inheritdoc />
    public override void Destroy()
    {
        if (IsDestroyed) return;
        if (IsActive || LoadedGrant is not null) { _mpu.DisableAll(); Machine.MpuOwner = null; }
        foreach ((ulong _, ulong frame) in UserFrames()) Frames.Release(frame);
        Vmas.Clear();
        IsDestroyed = true;
    }

    /// <inheritdoc />
    public override IEnumerable<(ulong VirtualAddress, ulong Frame)> UserFrames()
    {
        if (IsDestroyed) yield break;
        foreach (Vma v in Vmas.Areas)
            for (ulong i = 0; i < v.BlockFrames; i++) yield return ((v.FirstFrame + i) * PageSize, v.FirstFrame + i);
    }

    /// <inheritdoc />
    public override string DumpHardware()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"{_mpu.ModelName}, {_mpu.RegionCount} regions, {Vmas.Count} used by this process (budget {RegionBudget})");
        sb.Append(IsActive ? _mpu.Describe() : "(not loaded: regions are programmed at the next switch to this process)\n");
        return sb.ToString();
    }

    private protected override ErrorCode MapCore(ulong address, ulong size, Protection protection, string name, out ulong mapped)
    {
        mapped = 0;
        if (RegionsTaken >= RegionBudget) return ErrorCode.NoMpuRegion;
        ulong pages = size / PageSize;
        ulong block = IsV7 ? BitOperations.RoundUpToPowerOf2(pages) : pages;
        if (block > (ulong)Frames.FreeCount) return ErrorCode.OutOfMemory;
        ulong first;
        if (address != 0)
        {
            // No translation: a fixed address is a fixed physical block, which must be free (and, on ARMv7-M,
            // aligned to its power-of-two size).
            if (IsV7 && (address / PageSize) % block != 0) return ErrorCode.Misaligned;
            if (!InUserRange(address, block * PageSize)) return ErrorCode.BadAddress;
            first = address / PageSize;
            if (!Frames.TryAllocateAt(first, (int)block, FrameUse.User)) return ErrorCode.OutOfMemory;
        }
        else if (!Frames.TryAllocateContiguous((int)block, IsV7 ? (int)block : 1, FrameUse.User, out first))
        {
            return ErrorCode.OutOfMemory;
        }
        ulong start = first * PageSize;
        var vma = new Vma(start, start + block * PageSize, protection, name) { FirstFrame = first, BlockFrames = block };
        Vmas.Insert(vma);
        Reprogram();
        mapped = start;
        return ErrorCode.Ok;
    }

    private protected override ErrorCode UnmapCore(ulong start, ulong end)
    {
        if (!WholeAreas(start, end, out int first, out int last)) return ErrorCode.InvalidArgument;
        for (int n = first; n <= last; n++)
        {
            Vma v = Vmas.Areas[first]; // in order: each removal brings the next one to `first`
            Vmas.Remove(v);
            for (ulong i = 0; i < v.BlockFrames; i++) Frames.Release(v.FirstFrame + i);
        }
        Reprogram();
        return ErrorCode.Ok;
    }

    private protected override ErrorCode ProtectCore(ulong start, ulong end, Protection protection)
    {
        if (!WholeAreas(start, end, out int first, out int last)) return ErrorCode.InvalidArgument;
        for (int i = first; i <= last; i++) Vmas.Areas[i].Protection = protection;
        Reprogram();
        return ErrorCode.Ok;
    }

    // One region guards one block: an MPU space cannot split a VMA. The areas [first, last] (sorted by start) that
    // [start, end) touches, found by index so that a segment's access flip allocates nothing.
    private bool WholeAreas(ulong start, ulong end, out int first, out int last)
    {
        IReadOnlyList<Vma> areas = Vmas.Areas;
        first = -1;
        last = -1;
        for (int i = 0; i < areas.Count; i++)
        {
            if (areas[i].Start >= end || start >= areas[i].End) continue;
            if (first < 0) first = i;
            last = i;
        }
        return first >= 0 && areas[first].Start == start && areas[last].End == end;
    }

    // After a change of the VMAs: reload the MPU if it holds this space, directly or through an RPC grant.
    private void Reprogram()
    {
        if (IsActive)
        {
            Machine.MpuOwner = null;
            Activate();
        }
        else if (LoadedGrant is { } grant)
        {
            Machine.MpuOwner = null;
            grant.Activate();
        }
    }

    private void Program(int number, Vma v) => ProgramRegion(_mpu, number, v);

    /// <summary>An unprivileged access checked by the MPU as it is programmed now (the space or grant is loaded).</summary>
    internal static bool CheckLoaded(Mpu mpu, ulong virtualAddress, int length, AccessKind access, out MemoryFault fault)
    {
        MemoryFault? refused = mpu.Check(virtualAddress, (ulong)length, access, privileged: false);
        fault = refused ?? default;
        return refused is null;
    }

    /// <summary>Programs MPU region <paramref name="number"/> to guard the block behind <paramref name="v"/>.</summary>
    internal static void ProgramRegion(Mpu mpu, int number, Vma v)
    {
        MpuAccess access = v.Protection == Protection.None ? MpuAccess.PrivilegedReadWrite
            : (v.Protection & Protection.Write) != 0 ? MpuAccess.ReadWrite
            : MpuAccess.ReadOnly;
        MpuError error = mpu.ProgramRegion(number, v.Start, v.BlockFrames * PageSize, access, (v.Protection & Protection.Execute) == 0);
        if (error != MpuError.None)
            throw new InvalidOperationException($"kernel bug: region {number} for {v} rejected: {error.Message()}");
    }
}
