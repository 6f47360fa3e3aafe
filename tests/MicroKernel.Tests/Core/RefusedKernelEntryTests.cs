using MicroKernel.Hardware;
using MicroKernel.Processes;
using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The kernel's own entries check the CPU's holder too: a fault report and a scheduling point made for a thread by a
/// host thread that does not hold the CPU are refused with a report naming the attempt, and record nothing.
/// </summary>
public sealed class RefusedKernelEntryTests
{
    [Fact]
    public void Fault_reports_and_scheduling_points_from_a_foreign_host_thread_are_refused()
    {
        using Kernel k = TestKernels.Boot();
        (Exception? Thrown, int HostId) memory = default, other = default, point = default;
        Process p = k.Spawn("owner", sys =>
        {
            SimThread port = k.ThreadOf(sys);
            memory = ForeignHostThread.Run("rogue", () => k.RaiseFault(port, new MemoryFault(0x7000_0000, AccessKind.Read, FaultReason.NotPresent)));
            other = ForeignHostThread.Run("rogue", () => k.RaiseFault(port, FaultReason.DivideError, 0x1000, "div"));
            point = ForeignHostThread.Run("rogue", () => k.AccessPoint(port));
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        p.ExitStatus.ShouldBe(0);
        p.Faults.ShouldBeEmpty();
        memory.Thrown.ShouldBeOfType<CpuNotHeldException>();
        other.Thrown.ShouldBeOfType<CpuNotHeldException>();
        point.Thrown.ShouldBeOfType<CpuNotHeldException>();
        string tail = "while tid 1 (owner/main) held the CPU: refused";
        r.HostReports.ShouldBe([
            $"cpu: host thread {memory.HostId} 'rogue' used the port of tid 1 (owner/main) for a fault report {tail}",
            $"cpu: host thread {other.HostId} 'rogue' used the port of tid 1 (owner/main) for a fault report {tail}",
            $"cpu: host thread {point.HostId} 'rogue' used the port of tid 1 (owner/main) for a scheduling point {tail}",
        ]);
    }
}
