using MicroKernel.Memory;
using MicroKernel.Syscalls;

namespace MicroKernel.X86;

/// <summary>
/// The call stacks of an x86 service process: an RPC method runs on the caller's thread, but on a stack in the
/// callee's memory, so each method activation in progress needs one of its own. Activations come and go in any
/// order (two callers preempted inside the same service, a service that calls itself through another service), so
/// this is a pool: a call takes a free stack or maps a new one, and gives it back when it returns. A stack is
/// ordinary callee memory (a VMA named "rpc stack"), so every grant into the callee shows it, under paging and
/// under an MPU alike. The pool belongs to one incarnation of the process: a restart brings a fresh address space,
/// and with it a fresh pool.
/// </summary>
internal sealed class ServiceStacks(AddressSpace space)
{
    /// <summary>Bytes of each method stack (a power of two, so an ARMv7-M MPU region can hold one).</summary>
    public const ulong Size = 16 * 1024;

    private readonly Stack<ulong> _free = new();

    /// <summary>The callee's address space the stacks live in.</summary>
    public AddressSpace Space { get; } = space;

    /// <summary>How many stacks this pool has mapped: the deepest concurrency it has seen.</summary>
    public int Mapped { get; private set; }

    /// <summary>A free stack's top (16-byte aligned), mapping a new one when none is free.</summary>
    /// <returns>Ok, or why the callee has no room for another stack (OutOfMemory, NoMpuRegion, ...).</returns>
    public ErrorCode Take(out ulong top)
    {
        if (_free.TryPop(out top)) return ErrorCode.Ok;
        ErrorCode e = Space.Map(0, Size, Protection.ReadWrite, "rpc stack", out ulong stackBase);
        if (e != ErrorCode.Ok) return e;
        Mapped++;
        top = stackBase + Size;
        return ErrorCode.Ok;
    }

    /// <summary>Gives a stack back once its activation has returned (or unwound).</summary>
    public void Return(ulong top) => _free.Push(top);
}
