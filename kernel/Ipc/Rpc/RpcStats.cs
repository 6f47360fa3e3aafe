namespace MicroKernel.Ipc.Rpc;

/// <summary>Counters of the RPC family, for tests, the run report and the docs' figures.</summary>
public sealed class RpcStats
{
    /// <summary>Calls that passed every check and ran a method.</summary>
    public long Calls { get; internal set; }

    /// <summary>Calls refused before running (bad object, method, argument count, nesting, restarting, no region).</summary>
    public long Refused { get; internal set; }

    /// <summary>Calls whose callee faulted, threw or died (the caller got PeerFaulted).</summary>
    public long CalleeFaults { get; internal set; }

    /// <summary>Grants built (page tables or region lists made for a call).</summary>
    public long GrantsBuilt { get; internal set; }

    /// <summary>Calls served by the unchanged grant of an earlier call between the same two spaces.</summary>
    public long GrantsReused { get; internal set; }

    /// <summary>Grants in use now: calls in progress on all threads (0 whenever no call runs).</summary>
    public long ActiveGrants { get; internal set; }

    /// <summary>The deepest nesting seen.</summary>
    public int MaxDepth { get; internal set; }

    /// <summary>MPU regions the last call's grant took (0 under paging).</summary>
    public int LastMpuRegions { get; internal set; }

    /// <summary>The most MPU regions one grant took.</summary>
    public int MaxMpuRegions { get; internal set; }

    /// <summary>Calls refused with NoMpuRegion.</summary>
    public long RegionRefusals { get; internal set; }

    /// <summary>Regions the last refused call would have needed.</summary>
    public int LastRegionsNeeded { get; internal set; }

    /// <summary>SHARED pages granted, summed over all calls.</summary>
    public long SharedPagesGranted { get; internal set; }
}
