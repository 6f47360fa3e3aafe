using MicroKernel.Syscalls;
using MicroKernel.Tracing;

// The namespace of CoreSyscallTests (see there why not "MicroKernel.Tests.Syscalls").
namespace MicroKernel.Tests.SyscallsCore;

/// <summary>
/// yield hands the CPU to the next ready thread at once (well inside the quantum), and a thread alone takes it back.
/// </summary>
public class YieldSyscallTests
{
    [Fact]
    public void Two_threads_that_yield_in_turn_alternate()
    {
        // Three yields each, fewer than the quantum (4): without the hand-over each would run its three rounds alone.
        var k = new Kernel(new KernelConfig { Frames = 64, Quantum = 4 });
        var rounds = new List<string>();
        foreach (string name in new[] { "a", "b" })
        {
            k.Spawn(name, sys =>
            {
                for (int i = 0; i < 3; i++)
                {
                    rounds.Add(name);
                    sys.Yield();
                }
                return 0;
            });
        }
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        string.Concat(rounds).ShouldBe("ababab");
        log.Events.Count(e => e.Kind == EventKind.Switch && e.Text == "yield").ShouldBe(6, "every yield finds the other thread ready");
    }

    [Fact]
    public void A_thread_alone_that_yields_goes_on_with_no_switch()
    {
        var k = new Kernel(new KernelConfig { Frames = 64 });
        long result = -1;
        k.Spawn("alone", sys =>
        {
            result = sys.Syscall(SyscallNumber.Yield);
            return 0;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        result.ShouldBe(0);
        log.Events.ShouldNotContain(e => e.Kind == EventKind.Switch && e.Text == "yield");
    }
}
