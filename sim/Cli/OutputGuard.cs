using System.Runtime.ExceptionServices;
using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Sim.Cli;

/// <summary>
/// Keeps a failed write to stdout (a full disk, a pipe its reader closed) out of the kernel: code the kernel calls
/// during a run (an event sink, the exit observer) that throws is a kernel bug to it, a panic with exit code 5. The
/// guard keeps the first such failure and skips the rest of the printing; the command rethrows it after the run, and
/// <see cref="CliApp.Invoke"/> reports it (exit code 74, or 141 for a closed pipe).
/// </summary>
internal sealed class OutputGuard
{
    private ExceptionDispatchInfo? _failure;

    /// <summary><paramref name="inner"/>, its write failures kept here.</summary>
    public IEventSink Sink(IEventSink inner) => new GuardedSink(this, inner);

    /// <summary><paramref name="inner"/> (an exit observer), its write failures kept here.</summary>
    public Action<Process> Observer(Action<Process> inner) => p =>
    {
        if (_failure is not null) return;
        try
        {
            inner(p);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            _failure = ExceptionDispatchInfo.Capture(e);
        }
    };

    /// <summary>Rethrows the first write failure, if there was one.</summary>
    public void ThrowIfFailed() => _failure?.Throw();

    private sealed class GuardedSink(OutputGuard guard, IEventSink inner) : IEventSink
    {
        public bool TakesSyscalls => inner.TakesSyscalls;

        public void Emit(in KernelEvent e)
        {
            if (guard._failure is not null) return;
            try
            {
                inner.Emit(e);
            }
            catch (Exception x) when (x is IOException or UnauthorizedAccessException)
            {
                guard._failure = ExceptionDispatchInfo.Capture(x);
            }
        }
    }
}
