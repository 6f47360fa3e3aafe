namespace MicroKernel.Sim.Fuzz;

/// <summary>What stopped a fuzz run: the kernel broke.</summary>
public enum FuzzFailureKind
{
    /// <summary>A kernel panic: an exception in kernel code, or an invariant the catalogue found broken after a syscall.</summary>
    Panic,
    /// <summary>A syscall returned an error its documentation does not list (<c>SyscallInfo.Errors</c>).</summary>
    UndocumentedError,
    /// <summary>An exception escaped the kernel's run, or the kernel reported a misbehaving host thread.</summary>
    HostException,
}

/// <summary>The first failure of a fuzz run, with what reproduces it.</summary>
/// <param name="Kind">What went wrong.</param>
/// <param name="Index">The syscall's index in the whole fuzz run (1 = the first syscall of the first kernel).</param>
/// <param name="Round">Which kernel of the run (from 1): each runs fresh processes until they all end.</param>
/// <param name="Syscall">The syscall, as "pid P tid T: name(args)" (or "no syscall yet").</param>
/// <param name="Detail">What the kernel said: the panic's summary, the error, the exception.</param>
/// <param name="Report">The long report (the kernel stack of a panic), or null.</param>
internal sealed record FuzzFailure(FuzzFailureKind Kind, long Index, int Round, string Syscall, string Detail, string? Report);
