using MicroKernel.Processes;
using MicroKernel.Sim.Scenarios;
using MicroKernel.Syscalls;

namespace MicroKernel.Tests.Core;

/// <summary>Kernel.Dispose releases every parked host thread, however the kernel got there.</summary>
public class KernelDisposeTests
{
    [Fact]
    public void A_kernel_booted_and_spawned_into_but_never_run_releases_its_host_threads()
    {
        var k = TestKernels.Boot();
        for (int i = 0; i < 3; i++) k.Spawn($"p{i}", sys => 0);
        k.LiveHostThreads.ShouldBe(3);
        k.Dispose();
        k.LiveHostThreads.ShouldBe(0);
        k.IsDisposed.ShouldBeTrue();
        Should.Throw<ObjectDisposedException>(() => k.Run());
        k.Dispose(); // twice is harmless
    }

    [Fact]
    public void A_boot_that_failed_half_way_releases_the_threads_already_started()
    {
        var k = new Kernel(new KernelConfig { Frames = 16, WatchdogSeconds = 0 });
        int spawned = 0;
        ErrorCode e = ErrorCode.Ok;
        while (e == ErrorCode.Ok && spawned < 100)
        {
            e = k.Spawn(new Userland.Loader.ManagedProgram("p", () => new Nothing()), "p", out Process? _);
            if (e == ErrorCode.Ok) spawned++;
        }
        e.ShouldBe(ErrorCode.OutOfMemory);
        spawned.ShouldBeGreaterThan(0);
        k.LiveHostThreads.ShouldBe(spawned);
        k.Dispose();
        k.LiveHostThreads.ShouldBe(0);
    }

    [Fact]
    public void A_scenario_whose_boot_fails_disposes_the_half_booted_kernel()
    {
        // 16 frames hold a few address spaces, not eight: a later spawn fails after earlier host threads started.
        string text = "name half\nmemory 16\n" + string.Concat(Enumerable.Range(0, 8).Select(i => $"process p{i} program=hello\n"));
        Scenario s = ScenarioParser.Parse(text, "half.scn", ScenarioRunner.Programs);
        Should.Throw<ScenarioException>(() => ScenarioRunner.Boot(s)).Message.ShouldContain("cannot spawn");
    }

    [Fact]
    public void Kernels_that_ended_in_a_deadlock_or_at_the_tick_limit_leave_no_host_thread_after_dispose()
    {
        var deadlocked = ScenarioRunner.Boot(ScenarioRunner.Load("deadlock"));
        deadlocked.Run().Outcome.ShouldBe(RunOutcome.Deadlock);
        deadlocked.Dispose();
        deadlocked.LiveHostThreads.ShouldBe(0);

        var limited = new Kernel(new KernelConfig { Frames = 64, MaxTicks = 50 });
        limited.Spawn("forever", sys =>
        {
            while (true) sys.Yield();
        });
        limited.Spawn("sleeper", sys =>
        {
            sys.Sleep(1_000);
            return 0;
        });
        limited.Run().Outcome.ShouldBe(RunOutcome.TickLimit);
        limited.Dispose();
        limited.LiveHostThreads.ShouldBe(0);
    }

    private sealed class Nothing : Userland.Runtime.UserProgram
    {
        public override long Main(Userland.Runtime.Sys sys) => 0;
    }
}
