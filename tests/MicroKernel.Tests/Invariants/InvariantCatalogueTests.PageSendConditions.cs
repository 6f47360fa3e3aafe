using MicroKernel.Invariants;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.Tests.Invariants;

/// <summary>
/// page-send-queues has three conditions; the queue over its bound breaks two at once
/// (Page_send_queues_catches_a_queue_over_its_bound). Here each other one is broken alone: an exited process that kept
/// its queue, and a queued message no pending upcall counts, in a queue within its bound; a queue exactly at its bound
/// with every message counted is no violation.
/// </summary>
public partial class InvariantCatalogueTests
{
    private static QueuedPageMessage EmptyMessage() => new(1, 7, new PageRun([], copyOnWrite: false), 0);

    [Fact, Trait(Breaks, "page-send-queues")]
    public void Page_send_queues_catches_an_exited_process_that_keeps_its_queue()
    {
        var k = Boot(CheckLevel.Syscall);
        Process first = k.Spawn("first", sys => 0);
        k.Spawn("second", sys =>
        {
            while (first.State != ProcessState.Exited) sys.Yield();
            k.Family<PageSendIpc>().QueueOf(first); // the kernel "forgets" to drop it: a queue for a dead pid
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("page-send-queues");
        e.Violations.ShouldHaveSingleItem().Problem.ShouldBe($"exited {first} still has handlers or a queue");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact, Trait(Breaks, "page-send-queues")]
    public void Page_send_queues_catches_a_message_no_pending_upcall_counts()
    {
        var k = Boot(CheckLevel.Syscall);
        // The queue is another process's, asleep: the victim's own queue would be delivered on the way out of its yield.
        Process other = k.Spawn("other", sys => { sys.Sleep(1000); return 0; });
        k.Spawn("victim", sys =>
        {
            Queue<QueuedPageMessage> queue = k.Family<PageSendIpc>().QueueOf(other);
            // Two messages, each counted as a pending upcall as a send would; then one count is lost.
            for (int i = 0; i < 2; i++) queue.Enqueue(EmptyMessage());
            other.PendingUpcalls += 1;
            Changed(k, CheckedState.Other);
            sys.Yield();
            return 0;
        });
        var (e, log, _) = RunToViolation(k);
        e.Invariant.ShouldBe("page-send-queues");
        e.Violations.ShouldHaveSingleItem().Problem.ShouldBe($"{other} has 2 queued messages but only 1 pending upcalls (a message nobody will deliver)");
        ShouldBeFoundAfter(e, log, k, "yield");
    }

    [Fact]
    public void A_queue_at_its_bound_with_every_message_counted_breaks_no_invariant()
    {
        var k = Boot(CheckLevel.Syscall);
        int capacity = k.Config.MessageQueueCapacity;
        IReadOnlyList<InvariantViolation> found = [];
        k.Spawn("victim", sys =>
        {
            Process p = k.ProcessOf(sys);
            Queue<QueuedPageMessage> queue = k.Family<PageSendIpc>().QueueOf(p);
            for (int i = 0; i < capacity; i++) queue.Enqueue(EmptyMessage());
            p.PendingUpcalls += capacity;
            found = k.FindViolations();
            // Put things back before the next check point: the messages carry no pages and no handler would take them.
            queue.Clear();
            p.PendingUpcalls -= capacity;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        found.ShouldBeEmpty();
    }
}
