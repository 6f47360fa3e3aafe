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

    /// <summary>True when <paramref name="entry"/> names code a new thread of <paramref name="process"/> may start at.</summary>
    public abstract bool IsValidEntry(Process process, ulong entry);

    /// <summary>
    /// Runs a thread from <paramref name="entry"/> on the calling (simulated) thread until it returns; the result
    /// is the thread's exit code.
    /// </summary>
    public abstract long Run(SimThread thread, ulong entry, ulong argument, ulong stackTop);
}
