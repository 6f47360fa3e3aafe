using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.Ipc.Rpc;

/// <summary>
/// One RPC call in progress on a thread: what to restore at return (the calling process and the memory view the
/// thread had) and the grant to revoke. Frames stack up on <c>SimThread.RpcFrames</c> when calls nest.
/// </summary>
internal sealed class CallFrame(SimThread thread, ServiceObject target, int method, int depth, Process caller, MemoryView previousSpace, GrantSpace grant)
{
    public SimThread Thread { get; } = thread;

    public ServiceObject Target { get; } = target;

    public int Method { get; } = method;

    /// <summary>1 for the outermost call.</summary>
    public int Depth { get; } = depth;

    /// <summary>The process that made the call (the thread acts for it again at return).</summary>
    public Process Caller { get; } = caller;

    /// <summary>The memory view the thread had before the call: its own space, or the grant of an enclosing call.</summary>
    public MemoryView PreviousSpace { get; } = previousSpace;

    /// <summary>Callee memory + caller SHARED buffers, for this call only.</summary>
    public GrantSpace Grant { get; } = grant;

    /// <summary>The callee died during the call: the thread unwinds to this frame, which returns PeerFaulted.</summary>
    public bool Aborted { get; set; }

    /// <summary>Set when the call ended (returned, unwound, or ended by the kernel for an abandoned thread).</summary>
    public bool Left { get; set; }
}
