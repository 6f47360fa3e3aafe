using MicroKernel.Processes;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Scheduling;

/// <summary>A killed thread that catches its <see cref="ThreadTerminatedException"/> and carries on never hangs the run.</summary>
public class SwallowedTerminationTests
{
    // A process whose worker swallows its termination (by swallow) once main returns and the process ends.
    private static Process SpawnWithSwallower(Kernel k, Func<Sys, long> swallow) =>
        k.Spawn("stubborn", sys =>
        {
            sys.CreateThread((s, _) => swallow(s));
            sys.Yield(); // the worker starts and loops
            return 9;
        });

    [Fact]
    public void A_thread_that_catches_its_termination_in_a_loop_is_reported_counted_out_and_parked()
    {
        bool disposed = false;
        Kernel k = TestKernels.Boot();
        Process p = SpawnWithSwallower(k, s =>
        {
            while (true)
            {
                try
                {
                    s.Yield();
                }
                catch (ThreadTerminatedException) when (!Volatile.Read(ref disposed))
                {
                    // carries on
                }
            }
        });
        Process other = k.Spawn("other", sys =>
        {
            for (int i = 0; i < 20; i++) sys.Yield();
            return 4;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(9);
        p.State.ShouldBe(ProcessState.Exited);
        other.ExitStatus.ShouldBe(4);
        string report = r.HostReports.ShouldHaveSingleItem();
        report.ShouldContain("swallowed termination: tid 3 (stubborn/thread-1)");
        report.ShouldContain($"re-entered the kernel {Kernel.SwallowLimit} times");
        r.Deterministic.ShouldBeTrue();
        k.ShouldBalance();
        // The other host threads end just after the run; the swallower's stays, parked (not spinning).
        SpinWait.SpinUntil(() => k.LiveHostThreads == 1, TimeSpan.FromSeconds(30)).ShouldBeTrue();

        Volatile.Write(ref disposed, true);
        k.Dispose();
        k.LiveHostThreads.ShouldBe(0);
    }

    [Fact]
    public void A_catch_all_that_swallows_the_termination_is_caught_the_same_way()
    {
        using Kernel k = TestKernels.Boot();
        k.Spawn("catch-all", sys =>
        {
            ulong a = sys.Map(4096);
            sys.CreateThread((s, _) =>
            {
                ulong i = 0;
                while (true)
                {
                    try
                    {
                        s.Memory.WriteUInt64(a, i++); // a killed thread's every access enters the kernel
                    }
                    catch (Exception) when (!k.IsDisposed)
                    {
                        // carries on
                    }
                }
            });
            sys.Yield();
            sys.Exit(3);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Processes[0].ExitStatus.ShouldBe(3);
        r.HostReports.ShouldHaveSingleItem().ShouldContain("tid 2 (catch-all/thread-1)");
    }

    [Fact]
    public void A_thread_that_returns_normally_after_its_termination_ends_as_killed_and_is_reported()
    {
        using Kernel k = TestKernels.Boot();
        Process p = k.Spawn("returner", sys =>
        {
            sys.CreateThread((s, _) =>
            {
                try
                {
                    while (true) s.Yield();
                }
                catch (ThreadTerminatedException)
                {
                }
                return 1234;
            });
            sys.Yield();
            sys.Exit(6);
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(6);
        r.HostReports.ShouldHaveSingleItem().ShouldBe("swallowed termination: tid 2 (returner/thread-1) caught ThreadTerminatedException and returned normally; treated as exited with status 6");
    }

    [Fact]
    public void Cleanup_that_enters_the_kernel_a_few_times_while_unwinding_is_not_a_swallow()
    {
        using Kernel k = TestKernels.Boot();
        Process p = k.Spawn("tidy", sys =>
        {
            sys.CreateThread((s, _) =>
            {
                for (int i = 0; ; i++)
                {
                    try
                    {
                        s.Yield();
                    }
                    finally
                    {
                        if (i > 0) s.Yield(); // cleanup on the way out (refused again: the unwinding goes on)
                    }
                }
            });
            sys.Yield();
            sys.Yield();
            return 2;
        });
        RunResult r = k.Run();
        p.ExitStatus.ShouldBe(2);
        r.HostReports.ShouldBeEmpty();
    }
}
