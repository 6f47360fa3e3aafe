using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// A gate lets one waiter through per open: an open is used up by the wait it lets through, so the next wait parks
/// until the next open; and a gate parks and wakes its waiter any number of times.
/// </summary>
public class HandoffGateReuseTests
{
    // Generous: only a gate that lost its wake-up takes this long (the test then fails instead of hanging).
    private static readonly TimeSpan Hang = TimeSpan.FromSeconds(30);

    private static Thread Waiter(HandoffGate gate)
    {
        var t = new Thread(gate.Wait) { IsBackground = true };
        t.Start();
        return t;
    }

    [Fact]
    public void An_open_is_used_up_by_the_wait_it_lets_through()
    {
        var gate = new HandoffGate();
        gate.Open();
        gate.Wait(); // uses the open
        Thread second = Waiter(gate);
        SpinWait.SpinUntil(() => gate.IsParked || !second.IsAlive, Hang).ShouldBeTrue();
        second.IsAlive.ShouldBeTrue("the second wait found no open: it parks");
        gate.IsParked.ShouldBeTrue();
        gate.Open();
        second.Join(Hang).ShouldBeTrue();
    }

    [Fact]
    public void A_waiter_parks_and_is_woken_again_and_again()
    {
        var gate = new HandoffGate();
        for (int i = 0; i < 3; i++)
        {
            Thread waiter = Waiter(gate);
            SpinWait.SpinUntil(() => gate.IsParked, Hang).ShouldBeTrue();
            gate.Open();
            waiter.Join(Hang).ShouldBeTrue($"round {i}: the parked waiter was woken");
            gate.IsParked.ShouldBeFalse();
        }
    }
}
