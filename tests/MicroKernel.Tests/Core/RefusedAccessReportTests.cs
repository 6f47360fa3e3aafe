using MicroKernel.Processes;
using MicroKernel.Scheduling;

namespace MicroKernel.Tests.Core;

/// <summary>
/// The one-CPU refusal's report names an access's size and address only when it has bytes: a counted access (the
/// scheduling-point count an image makes without a load or store) and an empty load are named by what they are alone.
/// </summary>
public sealed class RefusedAccessReportTests
{
    [Fact]
    public void An_access_of_no_bytes_is_named_without_a_size_or_address()
    {
        using Kernel k = TestKernels.Boot();
        (Exception? Thrown, int HostId) counted = default, empty = default, one = default;
        ulong page = 0;
        k.Spawn("owner", sys =>
        {
            page = sys.Map(4096);
            SimThread port = k.ThreadOf(sys);
            counted = ForeignHostThread.Run("rogue", port.CountAccess);
            empty = ForeignHostThread.Run("rogue", () => port.Load(page, []));
            one = ForeignHostThread.Run("rogue", () => port.Load(page + 8, new byte[1]));
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Completed);
        counted.Thrown.ShouldBeOfType<CpuNotHeldException>();
        empty.Thrown.ShouldBeOfType<CpuNotHeldException>();
        string tail = "while tid 1 (owner/main) held the CPU: refused";
        r.HostReports.ShouldBe([
            $"cpu: host thread {counted.HostId} 'rogue' used the port of tid 1 (owner/main) for a counted access {tail}",
            $"cpu: host thread {empty.HostId} 'rogue' used the port of tid 1 (owner/main) for a load {tail}",
            $"cpu: host thread {one.HostId} 'rogue' used the port of tid 1 (owner/main) for a load of 1 bytes at 0x{page + 8:x} {tail}",
        ]);
    }
}
