using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tracing;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Ipc;

/// <summary>A test service: reads and writes words at addresses the caller names, through the grant.</summary>
public interface IProbe
{
    /// <summary>The word at <paramref name="address"/>, read by the service.</summary>
    long Peek(ulong address);

    /// <summary>Writes <paramref name="value"/> at <paramref name="address"/>.</summary>
    void Poke(ulong address, long value);

    /// <summary>Adds two numbers (no memory).</summary>
    long Add(long a, long b);
}

internal sealed class Probe(Action<ulong>? onPeek = null) : IProbe
{
    public long Peek(ulong address)
    {
        onPeek?.Invoke(address);
        return (long)Rpc.Sys.Memory.ReadUInt64(address);
    }

    public void Poke(ulong address, long value) => Rpc.Sys.Memory.WriteUInt64(address, (ulong)value);

    public long Add(long a, long b) => a + b;
}

public class RpcTests
{
    public static TheoryData<ProtectionModel> Models => [ProtectionModel.Paging, ProtectionModel.ArmV7Mpu, ProtectionModel.ArmV8Mpu];

    private static RpcHandle<T> WaitFor<T>(Sys sys, string name) where T : class
    {
        long h;
        while ((h = Rpc.TryLookup(name)) < 0) sys.Yield();
        return new RpcHandle<T>((ulong)h);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_grant_shows_callee_memory_and_SHARED_buffers_during_the_call_and_is_gone_after(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        ulong secret = 0, kept = 0;
        bool clientDone = false;
        long peekSecret = 0, peekShared = 0, afterPoke = 0;
        var server = k.Spawn("server", sys =>
        {
            // Under paging, away from where the client's own maps land (virtual addresses are per process).
            secret = sys.Map(4096, address: model == ProtectionModel.Paging ? 0x7000_0000UL : 0);
            sys.Memory.WriteUInt64(secret, 42);
            Rpc.Export<IProbe>(new Probe(a => kept = a), "probe");
            while (!clientDone) sys.Yield();
            // A pointer kept from the call: the caller's SHARED buffer is not this process's memory any more.
            return (long)sys.Memory.ReadUInt64(kept);
        });
        var client = k.Spawn("client", sys =>
        {
            var probe = WaitFor<IProbe>(sys, "probe");
            ulong shared = Rpc.Shared(4096);
            sys.Memory.WriteUInt64(shared, 7);
            peekSecret = Rpc.Call(probe, s => s.Peek(secret));
            peekShared = Rpc.Call(probe, s => s.Peek(shared));
            Rpc.Call(probe, s => s.Poke(shared, 99));
            afterPoke = (long)sys.Memory.ReadUInt64(shared);
            clientDone = true;
            // The callee's memory was granted to the call, never to this process.
            return (long)sys.Memory.ReadUInt64(secret);
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        peekSecret.ShouldBe(42);
        peekShared.ShouldBe(7);
        afterPoke.ShouldBe(99);
        client.Faults.ShouldHaveSingleItem().Address.ShouldBe(secret);
        server.Faults.ShouldHaveSingleItem().Address.ShouldBe(kept);
        log.Events.Count(e => e.Kind == EventKind.RpcEnter).ShouldBe(3);
        log.Events.Count(e => e.Kind == EventKind.RpcReturn).ShouldBe(3);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.RpcStats.Calls.ShouldBe(3);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void The_callee_cannot_reach_the_callers_private_memory(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        ulong priv = 0;
        long result = 0;
        var server = k.Spawn("server", sys =>
        {
            Rpc.Export<IProbe>(new Probe(), "probe");
            sys.Sleep(1000);
            return 0;
        });
        var client = k.Spawn("client", sys =>
        {
            var probe = WaitFor<IProbe>(sys, "probe");
            priv = sys.Map(4096);
            sys.Memory.WriteUInt64(priv, 5);
            result = Rpc.TryCall(probe, s => s.Peek(priv));
            return sys.Memory.ReadUInt64(priv) == 5 ? 0 : 1;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        result.ShouldBe((long)ErrorCode.PeerFaulted);
        server.Faults.ShouldHaveSingleItem().Address.ShouldBe(priv);
        server.State.ShouldBe(ProcessState.Exited);
        client.ExitStatus.ShouldBe(0);
        k.RpcStats.CalleeFaults.ShouldBe(1);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Only_the_servicing_thread_sees_the_SHARED_buffer(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        ulong shared = 0;
        bool inCall = false;
        int workerTid = 0;
        long result = 0;
        var server = k.Spawn("server", sys =>
        {
            workerTid = sys.CreateThread((s, _) =>
            {
                while (!inCall) s.Yield();
                // Another thread of the callee, during the call: the grant is the servicing thread's only.
                return (long)s.Memory.ReadUInt64(shared);
            });
            Rpc.Export<IProbe>(new Probe(_ =>
            {
                inCall = true;
                Rpc.Sys.Yield();
            }), "probe");
            sys.Join(workerTid);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            var probe = WaitFor<IProbe>(sys, "probe");
            shared = Rpc.Shared(4096);
            result = Rpc.TryCall(probe, s => s.Peek(shared));
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        FaultRecord f = server.Faults.ShouldHaveSingleItem();
        f.Address.ShouldBe(shared);
        f.Tid.ShouldBe(workerTid);
        // The worker's fault killed the service during the call: the caller gets PeerFaulted, no grant remains.
        result.ShouldBe((long)ErrorCode.PeerFaulted);
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Entering_and_leaving_a_call_switches_page_tables_and_flushes_the_TLB()
    {
        var k = TestKernels.Boot();
        ulong secret = 0, callerRoot = 0, rootInCall = 0;
        bool cachedAfter = true;
        k.Spawn("server", sys =>
        {
            secret = sys.Map(4096);
            Rpc.Export<IProbe>(new Probe(_ => rootInCall = k.Machine.Mmu.Root), "probe");
            sys.Sleep(100);
            return 0;
        });
        k.Spawn("client", sys =>
        {
            var probe = WaitFor<IProbe>(sys, "probe");
            callerRoot = k.Machine.Mmu.Root;
            Rpc.Call(probe, s => s.Peek(secret));
            cachedAfter = k.Machine.Mmu.Tlb.Contains(secret);
            return k.Machine.Mmu.Root == callerRoot ? 0 : 1;
        }).ShouldNotBeNull();
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        rootInCall.ShouldNotBe(callerRoot);
        rootInCall.ShouldNotBe(0UL);
        cachedAfter.ShouldBeFalse();
        r.Processes.Single(p => p.Name == "client").ExitStatus.ShouldBe(0);
        k.ShouldBalance();
    }

    [Fact]
    public void Typed_calls_run_the_lambda_against_a_stand_in_and_TryCall_takes_exactly_one_call()
    {
        var k = TestKernels.Boot(ProtectionModel.Paging);
        long computed = 0, raw = 0, refused = 0;
        string? none = null, two = null;
        k.Spawn("service", sys =>
        {
            var done = Notification.Create(sys, "done"); // the client notifies it when it has made its calls
            Rpc.Export<IProbe>(new Probe(), "probe");
            done.Wait();
            return 0;
        });
        k.Spawn("client", sys =>
        {
            var probe = WaitFor<IProbe>(sys, "probe");
            computed = Rpc.Call(probe, s => s.Add(2, 3) * 10 + s.Add(1, 1));     // two calls, ordinary C# around them
            raw = Rpc.TryCall(probe, s => s.Add(40, 2));
            refused = Rpc.TryCall(new RpcHandle<IProbe>(99), s => s.Add(1, 2)); // no such object: the error, not a throw
            try { Rpc.TryCall(probe, _ => { }); } catch (ArgumentException e) { none = e.Message; }
            try { Rpc.TryCall(probe, s => { s.Add(1, 2); s.Add(3, 4); }); } catch (ArgumentException e) { two = e.Message; }
            Should.Throw<SyscallException>(() => Rpc.Call(new RpcHandle<IProbe>(99), s => s.Add(1, 2)));
            Notification.OpenWhenCreated(sys, "done").Notify();
            return 0;
        });
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        r.Processes.Single(p => p.Name == "client").ExitStatus.ShouldBe(0);
        computed.ShouldBe(52);
        raw.ShouldBe(42);
        refused.ShouldBe((long)ErrorCode.NoSuchObject);
        none.ShouldNotBeNull().ShouldContain("made 0");
        two.ShouldNotBeNull().ShouldContain("made 2");
        k.ShouldBalance();
    }
}
