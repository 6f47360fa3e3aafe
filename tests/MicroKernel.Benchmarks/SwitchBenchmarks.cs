using BenchmarkDotNet.Attributes;
using MicroKernel.Scheduling;

namespace MicroKernel.Benchmarks;

/// <summary>
/// A context switch between two simulated threads (each yield hands the CPU to the other) against the bare
/// handoff it is built on: two host threads passing a token through two SemaphoreSlims. Both are per handoff.
/// </summary>
[BenchmarkCategory("switch")]
public class SwitchBenchmarks
{
    private const int Handoffs = 100_000;

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Handoffs)]
    public void BareSemaphorePingPong()
        => BarePingPong.Run(Handoffs);

    /// <summary>The kernel's own handoff gate with no kernel around it: how much of a switch is the gate.</summary>
    [Benchmark(OperationsPerInvoke = Handoffs)]
    public void HandoffGatePingPong()
    {
        var ping = new HandoffGate();
        var pong = new HandoffGate();
        var other = new Thread(() =>
        {
            for (int i = 0; i < Handoffs / 2; i++)
            {
                ping.Wait();
                pong.Open();
            }
        });
        other.Start();
        for (int i = 0; i < Handoffs / 2; i++)
        {
            ping.Open();
            pong.Wait();
        }
        other.Join();
    }

    [Benchmark(OperationsPerInvoke = Handoffs)]
    public long SimulatedThreadSwitch() => BenchKernels.RunProgram(AccessesPerTick, sys =>
    {
        int peer = sys.CreateThread((s, _) =>
        {
            for (int i = 0; i < Handoffs / 2; i++) s.Yield();
            return 0;
        });
        for (int i = 0; i < Handoffs / 2; i++) sys.Yield();
        return sys.Join(peer);
    });
}
