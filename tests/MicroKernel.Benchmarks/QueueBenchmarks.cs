using BenchmarkDotNet.Attributes;
using MicroKernel.Processes;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;
using MicroKernel.Userland.Services.Queue;

namespace MicroKernel.Benchmarks;

/// <summary>
/// One item sent and received through the userland queue server, per send + receive pair, with the slot transport
/// (page-send call slot + request/reply notifications: two switches a call) as the baseline and the RPC transport
/// (rpc_call on the client's thread: no switch) against it.
/// </summary>
[BenchmarkCategory("queue")]
public class QueueBenchmarks
{
    private const int Items = 5_000;

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    [Benchmark(Baseline = true, OperationsPerInvoke = Items)]
    public long SlotTransportSendReceive() => Run("slot", AccessesPerTick);

    [Benchmark(OperationsPerInvoke = Items)]
    public long RpcTransportSendReceive() => Run("rpc", AccessesPerTick);

    private static long Run(string transport, int accessesPerTick)
    {
        var k = new Kernel(BenchKernels.Config(accessesPerTick, 128));
        k.Spawn(new ManagedProgram("queue-server", () => new QueueServer()), "server", out _, arguments: ["bench", "4", "16", transport]);
        k.Spawn(new ManagedProgram("client", () => new Client()), "client", out Process? client);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || client!.ExitStatus != 0) throw new InvalidOperationException($"queue benchmark ended {r.Outcome}, client {client!.ExitStatus}");
        return client.ExitStatus;
    }

    private sealed class Client : UserProgram
    {
        public override long Main(Sys sys)
        {
            QueueClient q = QueueClient.Connect(sys, 1, "bench");
            var item = new byte[16];
            for (int i = 0; i < Items; i++)
            {
                item[0] = (byte)i;
                if (q.Send(item) != Syscalls.ErrorCode.Ok || q.Receive(item) != Syscalls.ErrorCode.Ok || item[0] != (byte)i) return 1;
            }
            q.Shutdown();
            return 0;
        }
    }
}
