namespace MicroKernel.Processes;

/// <summary>
/// The code of a process: what the kernel loads into a fresh address space and runs on its threads.
/// C# programs (userland's <c>ManagedProgram</c>) and x86-64 machine code (the sim's CPU) are both images;
/// a trace replayer's puppet is another. A new instance serves each process (and each restart).
/// </summary>
public abstract class ProgramImage
{
    /// <summary>The program's name, as scenarios and traces show it.</summary>
    public abstract string Name { get; }

    /// <summary>
    /// Prepares the process's fresh address space (code, data, stack) and returns the main thread's entry and
    /// argument. A non-Ok result fails the spawn.
    /// </summary>
    public abstract Syscalls.ErrorCode Load(Process process, out ulong entry, out ulong argument);

    /// <summary>
    /// Why the last <see cref="Load"/> failed, in words, when its <see cref="Syscalls.ErrorCode"/> alone cannot say
    /// (which segment broke which rule); null when nothing more is known.
    /// </summary>
    public virtual string? LoadError => null;

    /// <summary>True when <paramref name="entry"/> names code of the given kind in <paramref name="process"/>.</summary>
    public abstract bool IsValidEntry(Process process, ulong entry, EntryKind kind);

    /// <summary>
    /// Runs a thread from <paramref name="entry"/> on the calling (simulated) thread until it returns; the result
    /// is the thread's exit code.
    /// </summary>
    public abstract long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop);

    /// <summary>
    /// A resumable body for a thread from <paramref name="entry"/> (what <see cref="Run"/> would run), when the image
    /// can keep a thread's whole state between scheduling points in an object: the thread then runs on the host thread
    /// that holds the CPU instead of a host thread of its own (<see cref="KernelConfig.InlineThreads"/>). Null (the
    /// default) = the thread gets a host thread and runs <see cref="Run"/>.
    /// </summary>
    public virtual ResumableBody? CreateResumableBody(ulong entry, ulong argument, ulong stackTop) => null;

    /// <summary>
    /// Runs a handler at <paramref name="entry"/> on <paramref name="thread"/> like a signal: it interrupts whatever the
    /// thread was doing, and the thread carries on where it was when the handler returns. Returns the handler's result.
    /// </summary>
    public abstract long RunUpcall(SimThread thread, ulong entry, in UpcallArgs args);

    /// <summary>
    /// True when <paramref name="entry"/> names a service object of <paramref name="process"/> with
    /// <paramref name="methods"/> methods (checked by rpc_export). By default an entry of kind
    /// <see cref="EntryKind.Service"/>; x86 programs check that the object's vtable holds that many code addresses.
    /// </summary>
    public virtual bool IsValidService(Process process, ulong entry, int methods) => IsValidEntry(process, entry, EntryKind.Service);

    /// <summary>True when processes of this image may export RPC service objects (rpc_export); false refuses with NotPermitted.</summary>
    public virtual bool CanExportServices => false;

    /// <summary>
    /// Runs method <paramref name="method"/> of the service object at <paramref name="entry"/> (an RPC call) on
    /// <paramref name="thread"/>, which the kernel has switched to the callee process and its grant. Returns the
    /// method's result. Only called for images whose <see cref="CanExportServices"/> is true, after the kernel checked
    /// the object, the method and the argument count.
    /// </summary>
    public virtual long RunService(SimThread thread, ulong entry, int method, in RpcArgs args) =>
        throw new NotSupportedException($"{Name} cannot export RPC services");
}

/// <summary>What an entry point is for.</summary>
public enum EntryKind
{
    /// <summary>A thread body: (arg) -> exit code.</summary>
    Thread,
    /// <summary>A message handler run as an upcall: (five arguments) -> result.</summary>
    Handler,
    /// <summary>An RPC service object (its methods are called by rpc_call).</summary>
    Service,
    /// <summary>A shared-memory segment handler run as an upcall (shm_handler): (five arguments) -> result.</summary>
    SegmentHandler,
}

/// <summary>The five arguments an upcall handler receives (in rdi, rsi, rdx, rcx, r8 for x86 code).</summary>
public readonly record struct UpcallArgs(ulong A0, ulong A1, ulong A2, ulong A3, ulong A4);

/// <summary>The arguments of an RPC method: <paramref name="Count"/> of the four values are meaningful.</summary>
public readonly record struct RpcArgs(int Count, ulong A0, ulong A1, ulong A2, ulong A3);
