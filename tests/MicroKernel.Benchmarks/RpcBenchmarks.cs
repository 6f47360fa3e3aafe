using BenchmarkDotNet.Attributes;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The cost of an rpc_call round trip against a direct interface call on the same object, in the same run: the
/// checks, the grant taken from the kernel's idle grants (built once, on the first call between the client and the
/// server, then kept between calls: kernel/Ipc/Rpc/RpcIpc.TakeGrant) and loaded with a CR3 switch, the method on the
/// caller's thread, then the caller's view reloaded (the revocation: CR3 back, TLB flushed) and the grant put back
/// to idle for the next call. Each invocation boots a kernel with a service process and a client making
/// <see cref="Calls"/> calls, so the one grant build is amortized over all of them.
/// </summary>
[BenchmarkCategory("rpc")]
public class RpcBenchmarks
{
    private const int Calls = 50_000;
    private readonly IAdder _direct = new Adder();

    /// <summary>User accesses per scheduling point: the default (64) and batched (2^20), side by side (<see cref="BenchKernels"/>).</summary>
    [Params(BenchKernels.DefaultAccessesPerTick, BenchKernels.BatchedAccessesPerTick)]
    public int AccessesPerTick { get; set; }

    /// <summary>The benchmark's service contract.</summary>
    public interface IAdder
    {
        /// <summary>a + b.</summary>
        long Add(long a, long b);
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = Calls)]
    public long DirectInterfaceCall()
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += _direct.Add(i, 1);
        return sum;
    }

    [Benchmark(OperationsPerInvoke = Calls)]
    public long NullSyscall() => Run(AccessesPerTick, 0, (sys, _) =>
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += sys.Syscall(SyscallNumber.GetPid);
        return sum > 0 ? 0 : 1;
    });

    [Benchmark(OperationsPerInvoke = Calls)]
    public long RpcCallRaw() => Run(AccessesPerTick, 0, (_, h) =>
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += Rpc.CallRaw(h.Id, 0, 2, (ulong)i, 1);
        return sum == (long)Calls * (Calls + 1) / 2 ? 0 : 1;
    });

    [Benchmark(OperationsPerInvoke = Calls)]
    public long RpcCallTyped() => Run(AccessesPerTick, 0, (_, h) =>
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += Rpc.Call(h, s => s.Add(i, 1));
        return sum == (long)Calls * (Calls + 1) / 2 ? 0 : 1;
    });

    [Benchmark(OperationsPerInvoke = Calls)]
    public long RpcCallProxy() => Run(AccessesPerTick, 0, (_, h) =>
    {
        IAdder adder = Rpc.Proxy(h);
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += adder.Add(i, 1);
        return sum == (long)Calls * (Calls + 1) / 2 ? 0 : 1;
    });

    /// <summary>As <see cref="RpcCallRaw"/> with one SHARED page, which the kept grant already maps (no per-call cost).</summary>
    [Benchmark(OperationsPerInvoke = Calls)]
    public long RpcCallWithSharedPage() => Run(AccessesPerTick, 1, (_, h) =>
    {
        long sum = 0;
        for (int i = 0; i < Calls; i++) sum += Rpc.CallRaw(h.Id, 0, 2, (ulong)i, 1);
        return sum == (long)Calls * (Calls + 1) / 2 ? 0 : 1;
    });

    private static long Run(int accessesPerTick, int sharedPages, Func<Sys, RpcHandle<IAdder>, long> client)
    {
        var k = new Kernel(BenchKernels.Config(accessesPerTick, 128));
        RpcHandle<IAdder> handle = default;
        k.Spawn(new ManagedProgram("adder", () => new Lambda(sys =>
        {
            handle = Rpc.Export<IAdder>(new Adder(), "adder");
            sys.Sleep(1L << 39);
            return 0;
        })), "adder", out Process? _);
        k.Spawn(new ManagedProgram("client", () => new Lambda(sys =>
        {
            while (Rpc.TryLookup("adder") < 0) sys.Yield();
            for (int i = 0; i < sharedPages; i++) Rpc.Shared(4096);
            return client(sys, handle);
        })), "client", out Process? c);
        RunResult r = k.Run();
        if (r.Outcome != RunOutcome.Completed || c!.ExitStatus != 0) throw new InvalidOperationException($"benchmark run failed: {r.Outcome} {c?.ExitStatus}");
        return c.ExitStatus;
    }

    private sealed class Adder : IAdder
    {
        [System.Runtime.CompilerServices.MethodImpl(System.Runtime.CompilerServices.MethodImplOptions.NoInlining)]
        public long Add(long a, long b) => a + b;
    }

    private sealed class Lambda(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }
}
