using MicroKernel.Userland.Runtime;

namespace MicroKernel.Userland.Examples;

/// <summary>
/// Two threads that each join the other: neither can ever run again. The kernel reports the deadlock with the
/// wait-for list instead of hanging.
/// </summary>
public sealed class DeadlockProgram : UserProgram
{
    /// <inheritdoc />
    public override long Main(Sys sys)
    {
        int mainTid = sys.Tid;
        int worker = sys.CreateThread((s, _) => s.Join(mainTid));
        sys.Yield(); // let the worker start waiting for main
        return sys.Join(worker);
    }
}
