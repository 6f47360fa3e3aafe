using MicroKernel.Invariants;
using MicroKernel.Ipc.Notify;
using MicroKernel.Processes;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// notify-units-conserved has four conditions of its own (the books, a negative count, a lock's one unit, a lost
/// wakeup); each is broken here alone, with the books kept balanced where the condition allows it, so a check that
/// lost one of them fails a test. (The books themselves: Notify_units_conserved_catches_a_lost_unit.)
/// </summary>
public partial class InvariantCatalogueTests
{
    [Fact, Trait(Breaks, "notify-units-conserved")]
    public void Notify_units_conserved_catches_a_negative_count_even_when_the_books_agree_with_it()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            sys.NotifyCreate("units");
            NotifyObject n = k.Family<NotificationIpc>().LiveObjectList[0];
            n.Pending--;
            n.Taken++; // a unit taken that was never there: 0 notified - 1 taken = -1, as counted
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("notify-units-conserved");
        e.Violations.Select(v => v.Problem).ShouldBe(["notification #1 'units' counts -1 units (negative)"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "notify-units-conserved")]
    public void Notify_units_conserved_catches_a_lock_whose_unit_is_lost()
    {
        var k = Boot(CheckLevel.Syscall);
        k.Spawn("victim", sys =>
        {
            int h = sys.NotifyCreate(null, NotifyFlags.Lock);
            sys.Wait(h); // held: no unit counted, one holder
            k.Family<NotificationIpc>().LiveObjectList[0].Holder = null; // the holder forgotten: the unit is nowhere
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("notify-units-conserved");
        e.Violations.Select(v => v.Problem).ShouldBe(["lock notification #1 has 0 units and holder none: its one unit is lost or doubled"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "notify-units-conserved")]
    public void Notify_units_conserved_catches_a_unit_left_counted_while_a_thread_waits_for_it()
    {
        var k = Boot(CheckLevel.Syscall);
        string who = "";
        Process waiter = k.Spawn("waiter", sys =>
        {
            int h = sys.NotifyCreate("units");
            sys.Wait(h); // blocks: nothing is counted
            return 0;
        });
        k.Spawn("corrupter", sys =>
        {
            while (k.Family<NotificationIpc>().LiveObjectList is not [{ Waiters.Count: 1 }]) sys.Yield();
            NotifyObject n = k.Family<NotificationIpc>().LiveObjectList[0];
            who = waiter.Threads[0].ToString();
            n.Pending++;
            n.Notified++; // a notify counted but handed to nobody: the books balance, the waiter sleeps on
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("notify-units-conserved");
        e.Violations.Select(v => v.Problem).ShouldBe([$"notification #1 'units' has 1 units while {who} waits for it (a lost wakeup)"]);
        ShouldBeFoundAfter(e, log, k, "yield");
    }
}
