namespace MicroKernel.Userland.Runtime;

/// <summary>
/// A simulated C# program. Write <see cref="Main"/> against <see cref="Sys"/>: every syscall and every load or
/// store of user memory goes through the kernel, exactly as an x86 program's would.
/// </summary>
public abstract class UserProgram
{
    /// <summary>The program's entry point; the result is the process's exit code (as if passed to exit).</summary>
    public abstract long Main(Sys sys);
}
