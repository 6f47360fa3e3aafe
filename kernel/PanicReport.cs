namespace MicroKernel;

/// <summary>
/// What a kernel panic left behind: the kernel's exception, where in the run it happened, and the kernel stack.
/// The <see cref="Tracing.EventKind.Panic"/> event carries only <see cref="Summary"/> (the stack depends on the
/// machine and the build); the printed report shows everything.
/// </summary>
/// <param name="Exception">The exception the kernel hit (the first one: later ones while it unwinds are ignored).</param>
/// <param name="Seq">The sequence number of the Panic event, or null when nothing listened to events.</param>
/// <param name="Tick">Virtual time of the panic.</param>
/// <param name="Pid">The process the CPU ran for (0 = none).</param>
/// <param name="Tid">The thread that held the CPU (0 = none).</param>
/// <param name="KernelStack">
/// The exception's text and stack trace (from the throw to the kernel entry that caught it), then the host stack that
/// led to that entry; taken when the kernel caught it.
/// </param>
public sealed record PanicReport(Exception Exception, long? Seq, long Tick, int Pid, int Tid, string KernelStack)
{
    /// <summary>"Type: message" of the kernel's exception: what the Panic event records.</summary>
    public string Summary => Describe(Exception);

    /// <summary>The multi-line report: when and where, what, and the kernel stack.</summary>
    public override string ToString() =>
        $"kernel panic at tick {Tick}{(Seq is { } s ? $", event #{s}" : "")}{(Tid != 0 ? $", on tid {Tid} (pid {Pid})" : "")}: {Summary}\nkernel stack:\n{KernelStack}";

    /// <summary>"Type: message" of an exception (its type's short name, which does not depend on the machine).</summary>
    internal static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message}";
}
