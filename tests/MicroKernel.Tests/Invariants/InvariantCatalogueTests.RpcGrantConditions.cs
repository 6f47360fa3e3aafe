using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tests.Ipc;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// rpc-grant-lifetime's conditions on the grants themselves, each broken alone: a cached grant that was revoked, a
/// call whose thread has exited, a call that is no longer on its thread's call stack. No test reached the last two
/// before mutation testing showed it (docs/testing.md, Ipc/Rpc).
/// </summary>
public partial class InvariantCatalogueTests
{
    // A service whose method runs `inside` on the calling thread (as the callee), once `depth` nested calls deep.
    private sealed class Hook(Func<RpcHandle<IChain>> self, Action<Sys> inside) : IChain
    {
        public long Down(long depth)
        {
            if (depth > 1) return Rpc.TryCall(self(), s => s.Down(depth - 1));
            inside(Rpc.Sys);
            return 0;
        }
    }

    private static Process SpawnHookService(Kernel k, Action<Sys> inside)
    {
        RpcHandle<IChain> me = default;
        return k.Spawn("service", sys =>
        {
            me = Rpc.Export<IChain>(new Hook(() => me, inside), "hook");
            sys.Sleep(1000);
            return 0;
        });
    }

    private static RpcHandle<IChain> LookupHook(Sys sys)
    {
        long h;
        while ((h = Rpc.TryLookup("hook")) < 0) sys.Yield();
        return new RpcHandle<IChain>((ulong)h);
    }

    [Fact, Trait(Breaks, "rpc-grant-lifetime")]
    public void Rpc_grant_lifetime_catches_a_cached_grant_that_was_revoked()
    {
        var k = Boot(CheckLevel.Syscall);
        GrantSpace? grant = null;
        SpawnHookService(k, sys => grant = (GrantSpace)k.ThreadOf(sys).Space);
        k.Spawn("client", sys =>
        {
            Rpc.Call(LookupHook(sys), s => s.Down(1));
            // The call ended and its grant was kept for the next call between these spaces; revoking it behind the
            // family's back leaves a cached grant no call may use.
            grant!.Revoke();
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Violations.Select(v => v.Problem).ShouldBe(["rpc: a cached grant over a dead space"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "rpc-grant-lifetime")]
    public void Rpc_grant_lifetime_catches_an_exited_thread_that_still_holds_a_grant()
    {
        var k = Boot(CheckLevel.Syscall);
        string who = "";
        Process service = SpawnHookService(k, sys =>
        {
            SimThread t = k.ThreadOf(sys);
            who = t.ToString();
            t.State = SimThreadState.Exited; // the thread's books say it ended, inside a call
            Changed(k, CheckedState.Other);
            sys.Syscall(SyscallNumber.GetPid);
        });
        k.Spawn("client", sys => Rpc.Call(LookupHook(sys), s => s.Down(1)));
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Violations.Select(v => v.Problem).ShouldBe([$"rpc: exited {who} still holds a grant into pid {service.Pid}"]);
        ShouldBeFoundAfter(e, log, k, "getpid");
    }

    [Fact, Trait(Breaks, "rpc-grant-lifetime")]
    public void Rpc_grant_lifetime_catches_a_call_missing_from_its_threads_call_stack()
    {
        var k = Boot(CheckLevel.Syscall);
        string who = "";
        SpawnHookService(k, sys =>
        {
            SimThread t = k.ThreadOf(sys);
            who = t.ToString();
            t.RpcFrames.RemoveAt(0); // the outer of two nested calls drops off the stack; the inner one stays
            Changed(k, CheckedState.Other);
            sys.Syscall(SyscallNumber.GetPid);
        });
        k.Spawn("client", sys => Rpc.Call(LookupHook(sys), s => s.Down(2)));
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Violations.Select(v => v.Problem).ShouldBe([$"rpc: a grant of {who} is not on its call stack"]);
        ShouldBeFoundAfter(e, log, k, "getpid");
    }
}
