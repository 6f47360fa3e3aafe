using MicroKernel.Invariants;
using MicroKernel.Processes;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// rpc-grant-lifetime's rule for a thread in no call: it acts for its own process and sees its own process's memory.
/// Each half is broken alone (the process it acts for, then the view it sees), so a check that lost either half (an
/// <c>||</c> turned into <c>&amp;&amp;</c>) fails a test. (The grant books: Rpc_grant_lifetime_catches_a_grant_that_outlives_its_call.)
/// </summary>
public partial class InvariantCatalogueTests
{
    [Fact, Trait(Breaks, "rpc-grant-lifetime")]
    public void Rpc_grant_lifetime_catches_a_thread_in_no_call_acting_for_another_process()
    {
        var k = Boot(CheckLevel.Syscall);
        string who = "";
        Process other = k.Spawn("other", sys => { sys.Sleep(1000); return 0; });
        k.Spawn("victim", sys =>
        {
            SimThread t = k.ThreadOf(sys);
            t.Process = other; // left acting for another process, as if a call's end forgot to switch back
            who = t.ToString(); // a thread is named after the process it acts for
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Violations.Select(v => v.Problem).ShouldBe([$"rpc: {who} is in no call but still acts for pid {other.Pid} through PagedAddressSpace"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "rpc-grant-lifetime")]
    public void Rpc_grant_lifetime_catches_a_thread_in_no_call_seeing_another_space()
    {
        var k = Boot(CheckLevel.Syscall);
        string who = "";
        Process other = k.Spawn("other", sys => { sys.Sleep(1000); return 0; });
        Process victim = k.Spawn("victim", sys =>
        {
            SimThread t = k.ThreadOf(sys);
            who = t.ToString();
            t.Space = other.AddressSpace; // acts for its own process but through another's memory
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("rpc-grant-lifetime");
        e.Violations.Select(v => v.Problem).ShouldBe([$"rpc: {who} is in no call but still acts for pid {victim.Pid} through PagedAddressSpace"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }
}
