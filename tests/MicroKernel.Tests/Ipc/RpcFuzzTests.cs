using MicroKernel.Memory;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>A service whose methods touch no memory and never return a negative number.</summary>
public interface IFuzzTarget
{
    /// <summary>0.</summary>
    long Zero();

    /// <summary>1.</summary>
    long One(long a);

    /// <summary>2.</summary>
    long Four(long a, long b, long c, long d);
}

/// <summary>Random arguments to every RPC syscall, from processes that share a real service.</summary>
public class RpcFuzzTests
{
    private sealed class Target : IFuzzTarget
    {
        public long Zero() => 0;

        public long One(long a) => 1;

        public long Four(long a, long b, long c, long d) => 2;
    }

    [Theory]
    [InlineData(ProtectionModel.Paging, 1UL)]
    [InlineData(ProtectionModel.Paging, 2UL)]
    [InlineData(ProtectionModel.ArmV7Mpu, 3UL)]
    [InlineData(ProtectionModel.ArmV8Mpu, 4UL)]
    public void Random_arguments_to_every_rpc_syscall_never_fault_the_caller_crash_or_leak(ProtectionModel model, ulong seed)
    {
        var k = TestKernels.Boot(model, PolicyKind.Random, seed, frames: 1024);
        int finished = 0;
        long errors = 0, successes = 0, calls = 0;
        k.Spawn("service", sys =>
        {
            Rpc.Export<IFuzzTarget>(new Target(), "target");
            while (finished < 2) sys.Yield();
            return 0;
        });
        for (int p = 0; p < 2; p++)
        {
            int me = p;
            k.Spawn($"fuzz{p}", sys =>
            {
                var rng = new TestRandom(seed * 13 + (ulong)me);
                ulong page = sys.Map(4096);
                ulong[] interesting = [0, 1, 2, 3, 4, 5, 31, 32, 33, 64, page, page + 4090, ulong.MaxValue, 1UL << 32, 3UL << 16, 0x7F00_0000_0000, (ulong)rng.Next()];
                ulong Arg() => rng.Next(3) == 0 ? (ulong)rng.Next(0, 8) : interesting[rng.Next(interesting.Length)];
                for (int i = 0; i < 300; i++)
                {
                    // A real name and argument counts in user memory, so some calls get past the first checks.
                    sys.Memory.WriteString(page, rng.Next(2) == 0 ? "target" : "nobody");
                    for (int j = 0; j < 8; j++) sys.Memory.WriteByte(page + 64 + (ulong)j, (byte)rng.Next(0, 6));
                    var n = (SyscallNumber)(30 + rng.Next(5));
                    ulong a0 = Arg(), a1 = Arg(), a2 = Arg();
                    if (n == SyscallNumber.RpcLookup) (a0, a1) = (page, (ulong)rng.Next(0, 8));
                    if (n == SyscallNumber.RpcCall)
                    {
                        // Half the time the target's handle and the method's own argument count: calls that run.
                        uint method = (uint)rng.Next(0, 4);
                        uint argc = rng.Next(2) == 0 ? method switch { 0 => 0u, 1 => 1u, _ => 4u } : (uint)rng.Next(0, 6);
                        a0 = rng.Next(2) == 0 ? (ulong)rng.Next(1, 3) : a0;
                        a1 = method | (ulong)argc << 16 | (rng.Next(8) == 0 ? 1UL << 40 : 0UL);
                    }
                    if (n == SyscallNumber.RpcShared && rng.Next(2) == 0) a0 = (ulong)rng.Next(1, 20_000);
                    long r = sys.Syscall(n, a0, a1, a2, Arg(), Arg(), Arg());
                    if (r < 0)
                    {
                        Enum.IsDefined((ErrorCode)r).ShouldBeTrue($"{n} returned {r}");
                        errors++;
                    }
                    else
                    {
                        successes++;
                        if (n == SyscallNumber.RpcCall) calls++;
                    }
                }
                finished++;
                return 0;
            });
        }
        RunResult result = k.Run();
        result.Outcome.ShouldBe(RunOutcome.Completed, result.Panic?.ToString() ?? result.DeadlockReport);
        k.Processes.ShouldAllBe(p => p.Faults.Count == 0);
        k.Processes.ShouldAllBe(p => p.ExitStatus == 0);
        k.ShouldBalance();
        errors.ShouldBeGreaterThan(0);
        successes.ShouldBeGreaterThan(0);
        calls.ShouldBeGreaterThan(0, "some random calls reach the service's methods");
    }
}
