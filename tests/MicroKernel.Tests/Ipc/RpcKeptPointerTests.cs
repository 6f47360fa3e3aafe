using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>A service that keeps a pointer it was given (the RPC lab's "a pointer kept too long").</summary>
public interface IKeeper
{
    /// <summary>Remembers <paramref name="address"/> for a later call.</summary>
    void Keep(ulong address);

    /// <summary>Reads the word at the remembered address.</summary>
    long ReadKept();
}

internal sealed class Keeper : IKeeper
{
    private ulong _kept;

    public void Keep(ulong address) => _kept = address;

    public long ReadKept() => (long)Rpc.Sys.Memory.ReadUInt64(_kept);
}

public class RpcKeptPointerTests
{
    public static TheoryData<ProtectionModel> Models => [ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu];

    // docs/labs/rpc-lab.md, part 5: each call grants the caller's SHARED buffers again, so a kept pointer reads the
    // buffer while it is SHARED; once the caller unmaps it, the next call faults in the service (PeerFaulted).
    [Theory]
    [MemberData(nameof(Models))]
    public void A_pointer_kept_across_calls_reads_the_buffer_while_it_is_SHARED_and_faults_once_unmapped(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        long whileShared = 0, afterUnmap = 0;
        k.Spawn("keeper", sys =>
        {
            Rpc.Export<IKeeper>(new Keeper(), "keeper");
            sys.Sleep(1000);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("keeper")) < 0) sys.Yield();
            var keeper = new RpcHandle<IKeeper>((ulong)h);
            ulong buffer = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(buffer, 77);
            Rpc.Call(keeper, s => s.Keep(buffer));
            whileShared = Rpc.TryCall(keeper, s => s.ReadKept());
            sys.Unmap(buffer, 4096);
            afterUnmap = Rpc.TryCall(keeper, s => s.ReadKept());
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        whileShared.ShouldBe(77);
        afterUnmap.ShouldBe((long)ErrorCode.PeerFaulted);
        k.ShouldBalance();
    }
}
