using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Tracing;
using Stopwatch = System.Diagnostics.Stopwatch;

namespace MicroKernel.Tests.Scheduling;

/// <summary>The host watchdog: a C# loop that never reaches a scheduling point is killed (Runaway); the run goes on.</summary>
public class WatchdogTests
{
    private static Kernel Boot(double watchdogSeconds) =>
        new(new KernelConfig { Frames = 256, MaxTicks = 200_000, WatchdogSeconds = watchdogSeconds });

    [Fact]
    public void A_runaway_next_to_a_normal_program_is_killed_with_Runaway_and_the_normal_one_completes()
    {
        using var release = new ManualResetEventSlim(false);
        Kernel k = Boot(0.2);
        bool unwound = false;
        Process runaway = k.Spawn("runaway", sys =>
        {
            ulong a = sys.Map(4096);
            // A pure C# loop: no syscall, no user memory. (It stops once the test is over, so it burns no CPU after.)
            while (!release.IsSet) Thread.SpinWait(1000);
            try
            {
                sys.Memory.WriteUInt64(a, 1); // the watchdog took the CPU: refused, and the thread unwinds
            }
            catch (ThreadTerminatedException)
            {
                unwound = true;
                throw;
            }
            return 0;
        });
        Process normal = k.Spawn("normal", sys =>
        {
            ulong a = sys.Map(4096);
            for (ulong i = 0; i < 1000; i++) sys.Memory.WriteUInt64(a + i % 512 * 8, i);
            sys.PrintLine("normal done");
            return 7;
        });
        var (r, log) = k.RunLogged();
        release.Set();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        normal.ExitStatus.ShouldBe(7);
        k.ConsoleOutput.ToString().ShouldBe("normal done\n");
        runaway.ExitStatus.ShouldBe(128 + (int)FaultReason.Runaway);
        runaway.State.ShouldBe(ProcessState.Exited);
        runaway.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
        r.Deterministic.ShouldBeFalse();
        r.HostReports.ShouldHaveSingleItem().ShouldContain("watchdog: tid 1 (runaway/main) ran 0.2 s of host time without a scheduling point");
        KernelEvent fault = log.Events.Single(e => e.Kind == EventKind.Fault);
        fault.Code.ShouldBe((long)FaultReason.Runaway);
        fault.Text.ShouldBe("no scheduling point within 0.2 s of host time (watchdog)");
        k.ShouldBalance();

        // The runaway's host thread ends at its next access (refused), without touching the kernel.
        SpinWait.SpinUntil(() => k.LiveHostThreads == 0, TimeSpan.FromSeconds(30)).ShouldBeTrue();
        unwound.ShouldBeTrue();
        k.Dispose();
        k.HostReports.Count.ShouldBe(1);
    }

    [Fact]
    public void With_the_watchdog_off_a_long_loop_without_scheduling_points_completes()
    {
        using Kernel k = Boot(0);
        Process p = k.Spawn("slow", sys =>
        {
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed < TimeSpan.FromSeconds(0.3)) Thread.SpinWait(100);
            return 3;
        });
        RunResult r = k.Run();
        p.ExitStatus.ShouldBe(3);
        r.Deterministic.ShouldBeTrue();
        r.HostReports.ShouldBeEmpty();
    }

    [Fact]
    public void Under_the_restart_policy_a_runaway_is_restarted_and_the_restart_runs()
    {
        using var release = new ManualResetEventSlim(false);
        Kernel k = Boot(0.2);
        int starts = 0;
        Process p = k.Spawn("flaky", sys =>
        {
            if (Interlocked.Increment(ref starts) == 1)
                while (!release.IsSet) Thread.SpinWait(1000);
            return 5;
        }, FaultPolicy.Restart);
        RunResult r = k.Run();
        release.Set();
        p.Restarts.ShouldBe(1);
        p.ExitStatus.ShouldBe(5);
        p.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
        r.Deterministic.ShouldBeFalse();
        SpinWait.SpinUntil(() => k.LiveHostThreads == 0, TimeSpan.FromSeconds(30)).ShouldBeTrue();
        k.Dispose();
    }
}

/// <summary>A service whose method can run away.</summary>
public interface ISpinner
{
    /// <summary>Spins on the host until the test releases it.</summary>
    long Spin(long x);
}

/// <summary>The watchdog stops a runaway inside an RPC service method: the callee is faulted, the call is ended.</summary>
public class WatchdogRpcTests
{
    private sealed class Spinner(ManualResetEventSlim release) : ISpinner
    {
        public long Spin(long x)
        {
            while (!release.IsSet) Thread.SpinWait(1000);
            return x;
        }
    }

    [Fact]
    public void A_runaway_service_method_faults_the_callee_and_ends_the_callers_thread_with_its_calls()
    {
        using var release = new ManualResetEventSlim(false);
        Kernel k = new(new KernelConfig { Frames = 512, MaxTicks = 200_000, WatchdogSeconds = 0.2 });
        Process server = k.Spawn("spinner", sys =>
        {
            Userland.Runtime.Rpc.Export<ISpinner>(new Spinner(release), "spinner");
            sys.Sleep(1000);
            return 0;
        });
        Process client = k.Spawn("client", sys =>
        {
            long h;
            while ((h = Userland.Runtime.Rpc.TryLookup("spinner")) < 0) sys.Yield();
            return Userland.Runtime.Rpc.TryCall(new Userland.Runtime.RpcHandle<ISpinner>((ulong)h), s => s.Spin(1));
        });
        Process bystander = k.Spawn("bystander", sys =>
        {
            sys.Sleep(10);
            return 8;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        server.Faults.ShouldHaveSingleItem().Reason.ShouldBe(FaultReason.Runaway);
        server.ExitStatus.ShouldBe(128 + (int)FaultReason.Runaway);
        client.State.ShouldBe(ProcessState.Exited); // its only thread was lost inside the call
        bystander.ExitStatus.ShouldBe(8);
        r.Deterministic.ShouldBeFalse();
        k.RpcStats.ActiveGrants.ShouldBe(0);
        k.ShouldBalance();
        release.Set();
        // Kernel frames are on the runaway's host stack: it parks at its next entry and unwinds only at Dispose.
        k.Dispose();
    }
}
