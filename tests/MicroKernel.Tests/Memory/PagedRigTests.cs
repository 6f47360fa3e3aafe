using MicroKernel.Hardware;
using MicroKernel.Memory;

namespace MicroKernel.Tests.Memory;

/// <summary>
/// What the test classes of a paging space driven directly share: a rig of <see cref="ProtectionModel.Paging"/> made on
/// demand, whose spaces are destroyed and checked (no leaked frame, the books balanced) when the test ends.
/// </summary>
public abstract class PagedRigTests : IDisposable
{
    /// <summary>One page.</summary>
    protected const ulong Page = AddressSpace.PageSize;

    /// <summary>Where the tests map by default: well inside the user half, clear of the RPC window.</summary>
    protected const ulong Va = 0x4000_0000;

    private MemoryRig? _rig;

    /// <summary>A new paging rig of <paramref name="frames"/> frames, checked at the end of the test.</summary>
    private protected MemoryRig Rig(int frames = 256) => _rig = new MemoryRig(ProtectionModel.Paging, frames);

    /// <inheritdoc />
    public void Dispose()
    {
        _rig?.DestroyAllAndCheck();
        GC.SuppressFinalize(this);
    }
}
