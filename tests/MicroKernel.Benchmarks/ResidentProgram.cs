using MicroKernel.Faults;
using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Tracing;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Benchmarks;

/// <summary>
/// A kernel kept alive across benchmark invocations: its one program sets up once (maps memory, registers
/// handlers), then runs one batch of work each time <see cref="RunBatch"/> is called. Boot and setup costs stay out
/// of the measurement; the host handshake costs a few microseconds per batch, not per operation.
/// </summary>
internal sealed class ResidentProgram : IDisposable
{
    private readonly SemaphoreSlim _go = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private readonly Thread _host;
    private bool _stop;
    private Exception? _failure;

    /// <param name="setup">Runs once in the simulated program; returns the batch to run per invocation.</param>
    /// <param name="frames">RAM size.</param>
    /// <param name="accessesPerTick">User accesses per scheduling point (<see cref="BenchKernels"/>).</param>
    /// <param name="sink">A sink the kernel emits its events to (none: the kernel builds no events).</param>
    /// <param name="faults">The kernel's fault plan (none: <see cref="FaultPlan.None"/>, the default).</param>
    /// <param name="peer">A second program (pid 2) spawned beside it, for benchmarks that need a partner process.</param>
    /// <param name="check">When the kernel runs its invariant catalogue (<c>--check</c>; the default, end, never runs it here).</param>
    /// <param name="protection">The memory protection model (paging by default, or an MPU model).</param>
    public ResidentProgram(Func<Sys, Action> setup, int frames, int accessesPerTick, IEventSink? sink = null, FaultPlan? faults = null,
        Func<Sys, long>? peer = null, CheckLevel check = CheckLevel.End, ProtectionModel protection = ProtectionModel.Paging)
    {
        // No watchdog: between batches the program waits on the host, which is no scheduling point, on purpose.
        var kernel = new Kernel(BenchKernels.Config(accessesPerTick, frames) with { WatchdogSeconds = 0, Faults = faults ?? FaultPlan.None, Check = check, Protection = protection });
        if (sink is not null) kernel.AddSink(sink);
        kernel.Spawn(new ManagedProgram("resident", () => new Body(this, setup)), "resident", out Process? _);
        if (peer is not null) kernel.Spawn(new ManagedProgram("peer", () => new Peer(peer)), "peer", out Process? _);
        _host = new Thread(() => kernel.Run()) { IsBackground = true };
        _host.Start();
    }

    public void RunBatch()
    {
        _go.Release();
        _done.Wait();
        if (_failure is not null) throw new InvalidOperationException("resident program failed", _failure);
    }

    public void Dispose()
    {
        _stop = true;
        _go.Release();
        _host.Join();
    }

    private sealed class Peer(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }

    private sealed class Body(ResidentProgram owner, Func<Sys, Action> setup) : UserProgram
    {
        public override long Main(Sys sys)
        {
            Action batch = setup(sys);
            while (true)
            {
                owner._go.Wait();
                if (owner._stop) return 0;
                try
                {
                    batch();
                }
                catch (Exception e)
                {
                    owner._failure = e;
                    owner._done.Release();
                    throw;
                }
                owner._done.Release();
            }
        }
    }
}
