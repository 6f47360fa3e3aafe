using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The kernel's delivery points (a syscall's entry, a scheduling point): a process's queued handlers run there, one at a
/// time (a handler's own syscalls do not start the next one inside it), and pause() returns once one has run.
/// </summary>
public sealed class DeliveryPointTests
{
    [Fact]
    public void Handlers_run_one_after_another_never_inside_each_other()
    {
        var k = TestKernels.Boot();
        int depth = 0, deepest = 0, handled = 0;
        var order = new List<ulong>();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(5, (s, m) =>
            {
                depth++;
                deepest = Math.Max(deepest, depth);
                order.Add(s.Memory.ReadUInt64(m.Address));
                s.Yield(); // a syscall inside the handler: a delivery point, where the next message waits
                s.Yield();
                depth--;
                handled++;
                return true;
            });
            while (handled < 3) sys.Pause();
            return handled;
        });
        k.Spawn("sender", sys =>
        {
            sys.Yield();
            for (ulong i = 1; i <= 3; i++)
            {
                ulong page = sys.Map(4096);
                sys.Memory.WriteUInt64(page, i);
                sys.Send(receiver.Pid, 5, page, 1);
            }
            return 0;
        });
        (RunResult r, EventLog log) = k.RunLogged();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        receiver.ExitStatus.ShouldBe(3);
        deepest.ShouldBe(1);
        order.ShouldBe([1UL, 2, 3]);
        receiver.UpcallsRun.ShouldBe(3);
        receiver.PendingUpcalls.ShouldBe(0);
        log.Events.Count(e => e.Kind == EventKind.Delivery).ShouldBe(3);
        k.ShouldBalance();
    }

    [Fact]
    public void Pause_returns_once_a_handler_ran_and_wakes_every_pausing_thread()
    {
        var k = TestKernels.Boot();
        int handled = 0;
        var woke = new List<bool>();
        Process receiver = k.Spawn("receiver", sys =>
        {
            sys.RegisterHandler(5, (s, m) =>
            {
                handled++;
                return true;
            });
            int other = sys.CreateThread((s, _) =>
            {
                woke.Add(s.Pause(10_000));
                return 0;
            });
            woke.Add(sys.Pause(10_000));
            sys.Join(other);
            return handled;
        });
        k.Spawn("sender", sys =>
        {
            for (int i = 0; i < 5; i++) sys.Yield();
            ulong page = sys.Map(4096);
            sys.Send(receiver.Pid, 5, page, 1);
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        receiver.ExitStatus.ShouldBe(1);
        woke.ShouldBe([true, true]);
        r.Ticks.ShouldBeLessThan(1_000); // nobody waited out the timeout
    }
}
