using MicroKernel.Invariants;
using MicroKernel.Ipc.Notify;
using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A check point that finds several invariants broken at once reports every problem of every one of them, in
/// catalogue order (the memory invariants before the IPC families'), not only the last one it ran.
/// </summary>
public sealed class ViolationReportTests
{
    [Fact]
    public void Every_broken_invariant_is_in_the_report_in_catalogue_order()
    {
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = CheckLevel.Syscall });
        ulong leaked = 0;
        k.Spawn("breaker", sys =>
        {
            sys.NotifyCreate("units");
            k.Frames.TryAllocate(FrameUse.User, out leaked).ShouldBeTrue(); // a frame nothing maps: frame-accounting
            NotifyObject n = k.Family<NotificationIpc>().LiveObjectList[0];
            n.Pending--;
            n.Taken++; // a unit taken that was never there: notify-units-conserved
            k.Machine.Memory.Changes.Mark(CheckedState.All);
            sys.Yield(); // its check point finds both
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        List<string> broken = [.. e.Violations.Select(v => v.Invariant).Distinct()];
        broken.Count.ShouldBeGreaterThanOrEqualTo(2);
        broken[0].ShouldBe("frame-accounting");
        broken.ShouldContain("notify-units-conserved");
        e.Violations.ShouldContain(v => v.Invariant == "frame-accounting" && v.Problem == $"frame {leaked} is a user frame that nothing maps (leaked)");
        e.Invariant.ShouldBe("frame-accounting");
    }
}
