using System.Text;
using MicroKernel.Hardware;
using MicroKernel.Syscalls;

namespace MicroKernel.Memory;

/// <summary>
/// An RPC grant under an MPU: while loaded, the MPU holds the callee's regions followed by one region per SHARED
/// buffer of the caller, and none of the caller's other regions. Regions are few: a call whose grant needs more than
/// the MPU has fails with <see cref="ErrorCode.NoMpuRegion"/> before anything runs (no eviction).
/// </summary>
public sealed class MpuGrantSpace : GrantSpace
{
    private readonly MpuAddressSpace _callee;
    private readonly Hardware.Mpu.Mpu _mpu;
    private readonly List<(Vma Area, PageRun Run)> _shared = [];
    private int _sharedPages;
    private bool _released;

    private MpuGrantSpace(MpuAddressSpace callee, AddressSpace caller) : base(callee, caller)
    {
        _callee = callee;
        _mpu = callee.Machine.Mpu!;
    }

    /// <summary>
    /// Builds the grant of a call from <paramref name="caller"/> into <paramref name="callee"/>. NoMpuRegion when the
    /// callee's regions plus the caller's SHARED buffers exceed the MPU (<paramref name="regionsNeeded"/> says how many
    /// it would take).
    /// </summary>
    internal static ErrorCode TryCreate(MpuAddressSpace callee, MpuAddressSpace caller, out MpuGrantSpace? grant, out int regionsNeeded)
    {
        grant = null;
        List<Vma> shared = ReferenceEquals(caller, callee) ? [] : caller.SharedAreas.ToList();
        regionsNeeded = callee.RegionsInUse + shared.Count;
        if (callee.IsDestroyed) return ErrorCode.BadAddress;
        if (regionsNeeded > callee.Machine.Mpu!.RegionCount) return ErrorCode.NoMpuRegion;
        var g = new MpuGrantSpace(callee, caller);
        foreach (Vma v in shared)
        {
            // The block stays alive for the call even if the caller's other threads unmap it meanwhile.
            caller.ReferencePages(v.Start, v.Length / PageSize, out PageRun run);
            g._sharedPages += (int)(v.Length / PageSize);
            g._shared.Add((new Vma(v.Start, v.End, v.Protection, v.Name) { FirstFrame = v.FirstFrame, BlockFrames = v.BlockFrames, Shared = true }, run));
        }
        grant = g;
        return ErrorCode.Ok;
    }

    /// <summary>Regions the caller's SHARED buffers take on top of the callee's.</summary>
    public int SharedRegions => _shared.Count;

    /// <inheritdoc />
    public override int SharedPages => _sharedPages;

    /// <inheritdoc />
    public override int MpuRegions => _callee.RegionsInUse + _shared.Count;

    private bool IsLoaded => ReferenceEquals(Machine.MpuOwner, this);

    /// <inheritdoc />
    public override bool TryTranslate(ulong virtualAddress, int length, AccessKind access, out ulong physicalAddress, out MemoryFault fault)
    {
        physicalAddress = virtualAddress;
        if (IsLoaded) return MpuAddressSpace.CheckLoaded(_mpu, virtualAddress, length, access, out fault);
        if (IsRevoked) { fault = new(virtualAddress, access, FaultReason.NoRegion); return false; }
        foreach ((Vma area, PageRun _) in _shared)
            if (area.Contains(virtualAddress))
            {
                bool allowed = virtualAddress + (ulong)length <= area.End
                    && (access != AccessKind.Write || (area.Protection & Protection.Write) != 0)
                    && (access != AccessKind.Execute || (area.Protection & Protection.Execute) != 0);
                fault = allowed ? default : new(virtualAddress, access, FaultReason.ReadOnly);
                return allowed;
            }
        return _callee.CheckAgainstAreas(virtualAddress, length, access, out fault);
    }

    /// <inheritdoc />
    public override void Activate()
    {
        if (IsLoaded) return;
        _mpu.DisableAll();
        if (IsRevoked) { Machine.MpuOwner = null; return; }
        int n = 0;
        foreach (Vma v in _callee.Areas) MpuAddressSpace.ProgramRegion(_mpu, n++, v);
        foreach ((Vma area, PageRun _) in _shared) MpuAddressSpace.ProgramRegion(_mpu, n++, area);
        Machine.MpuOwner = this;
    }

    /// <inheritdoc />
    public override string DumpHardware()
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"RPC grant: {_callee.RegionsInUse} callee regions + {_shared.Count} SHARED regions of {_mpu.RegionCount}");
        sb.Append(IsLoaded ? _mpu.Describe() : "(not loaded)\n");
        return sb.ToString();
    }

    internal override void Revoke()
    {
        if (IsRevoked) return;
        IsRevoked = true;
        if (IsLoaded)
        {
            _mpu.DisableAll();
            Machine.MpuOwner = null;
        }
    }

    internal override void Release()
    {
        if (_released) return;
        Revoke();
        _released = true;
        foreach ((Vma _, PageRun run) in _shared) _callee.ReleaseRun(run);
        _shared.Clear();
    }

    internal override int PinnedReferences(ulong frame)
    {
        int n = 0;
        foreach ((Vma _, PageRun run) in _shared)
            foreach (ulong f in run.Frames)
                if (f == frame) n++;
        return n;
    }
}
