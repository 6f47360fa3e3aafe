using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Scheduling;

public class HandoffGateTests
{
    [Fact]
    public void An_open_before_the_wait_is_not_lost()
    {
        var gate = new HandoffGate();
        gate.Open();
        gate.Wait(); // returns at once
        gate.Open();
        var t = new Thread(gate.Wait);
        t.Start();
        t.Join();
    }

    [Fact]
    public void A_parked_waiter_is_woken()
    {
        var gate = new HandoffGate();
        var t = new Thread(gate.Wait);
        t.Start();
        while (!gate.IsParked) Thread.Yield();
        gate.Open();
        t.Join();
        gate.IsParked.ShouldBeFalse();
    }

    [Fact]
    public void Ping_pong_loses_no_handoff()
    {
        var ping = new HandoffGate();
        var pong = new HandoffGate();
        const int rounds = 20_000;
        int seen = 0;
        var other = new Thread(() =>
        {
            for (int i = 0; i < rounds; i++)
            {
                ping.Wait();
                seen++;
                pong.Open();
            }
        });
        other.Start();
        for (int i = 0; i < rounds; i++)
        {
            ping.Open();
            pong.Wait();
        }
        other.Join();
        seen.ShouldBe(rounds);
    }
}
