using MicroKernel.Memory;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>The middle service of a chain: forwards to the next one with its own SHARED buffer.</summary>
public interface IRelay
{
    /// <summary>Reads the caller's word at <paramref name="callerShared"/>, asks the next service to read <paramref name="forNext"/>, reads the caller's word again.</summary>
    long Relay(ulong callerShared, ulong forNext);

    /// <summary>Recurses into itself <paramref name="n"/> times; the depth reached, or the error that stopped it.</summary>
    long Recurse(long n);
}

public class RpcNestingTests
{
    public static TheoryData<ProtectionModel> Models => [ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu];

    private sealed class Relay(Func<RpcHandle<IProbe>> next, Func<RpcHandle<IRelay>> self, List<long> seen) : IRelay
    {
        public ulong OwnShared { get; set; }

        long IRelay.Relay(ulong callerShared, ulong forNext)
        {
            Sys sys = Rpc.Sys;
            seen.Add((long)sys.Memory.ReadUInt64(callerShared));
            // The nested call gets this process's SHARED buffer (0x77) or, when asked, the outer caller's.
            sys.Memory.WriteUInt64(OwnShared, 0x77);
            seen.Add(Rpc.TryCall(next(), s => s.Peek(forNext == 0 ? OwnShared : forNext)));
            // The nested return revoked the nested grant only: the outer caller's buffer is still here.
            seen.Add((long)sys.Memory.ReadUInt64(callerShared));
            return seen.Count;
        }

        public long Recurse(long n)
        {
            if (n == 0) return 0;
            long r = Rpc.TryCall(self(), s => s.Recurse(n - 1));
            return r < 0 ? r : r + 1;
        }
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Nested_calls_each_get_and_revoke_their_own_grant(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var seen = new List<long>();
        RpcHandle<IProbe> leaf = default;
        bool done = false;
        k.Spawn("leaf", sys =>
        {
            leaf = Rpc.Export<IProbe>(new Probe(), "leaf");
            while (!done) sys.Yield();
            return 0;
        });
        k.Spawn("relay", sys =>
        {
            var relay = new Relay(() => leaf, () => default, seen) { OwnShared = Rpc.Shared(4096) };
            Rpc.Export<IRelay>(relay, "relay");
            while (!done) sys.Yield();
            return 0;
        });
        k.Spawn("client", sys =>
        {
            long h;
            while ((h = Rpc.TryLookup("relay")) < 0 || Rpc.TryLookup("leaf") < 0) sys.Yield();
            var relay = new RpcHandle<IRelay>((ulong)h);
            ulong shared = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(shared, 0x55);
            Rpc.Call(relay, r => r.Relay(shared, 0));
            // The leaf is called by the relay: it sees the relay's SHARED buffer, not this client's.
            Rpc.Call(relay, r => r.Relay(shared, shared));
            done = true;
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        seen.ShouldBe([0x55, 0x77, 0x55, 0x55, (long)ErrorCode.PeerFaulted, 0x55]);
        log.Events.Where(e => e.Kind == EventKind.RpcEnter).Select(e => (long)e.A2).ShouldBe([1, 2, 1, 2]);
        k.RpcStats.MaxDepth.ShouldBe(2);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        // The leaf faulted on the client's buffer and died with its policy; the relay and the client went on.
        r.Processes.Single(p => p.Name == "leaf").Faults.ShouldHaveSingleItem();
        r.Processes.Single(p => p.Name == "client").ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Calls_nest_up_to_eight_deep_and_no_deeper()
    {
        var k = TestKernels.Boot();
        RpcHandle<IRelay> self = default;
        long eight = 0, nine = 0;
        k.Spawn("recursive", sys =>
        {
            self = Rpc.Export<IRelay>(new Relay(() => default, () => self, []), "rec");
            sys.Sleep(100);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            while (Rpc.TryLookup("rec") < 0) sys.Yield();
            eight = Rpc.Call(self, s => s.Recurse(7));
            nine = Rpc.TryCall(self, s => s.Recurse(8));
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        eight.ShouldBe(7);
        nine.ShouldBe((long)ErrorCode.NestingTooDeep);
        k.RpcStats.MaxDepth.ShouldBe(8);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }
}
