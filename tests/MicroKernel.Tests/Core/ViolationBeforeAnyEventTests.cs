using MicroKernel.Invariants;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A violation caught while a sink listens but before it got any event names no event (there is none to be after):
/// the panic that follows is the sink's first event, numbered 0.
/// </summary>
public sealed class ViolationBeforeAnyEventTests
{
    [Fact]
    public void A_violation_before_the_first_event_names_no_event_and_the_panic_is_event_zero()
    {
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = CheckLevel.Tick });
        var log = new EventLog();
        k.Spawn("computes", sys =>
        {
            ulong page = sys.Map(4096);
            k.AddSink(log); // listening from here on: no event yet
            k.Frames.TryAllocate(FrameUse.User, out ulong _).ShouldBeTrue();
            for (int i = 0; i < 1000; i++) sys.Memory.ReadUInt64(page); // caught at the loop's first scheduling point
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        var e = r.Panic!.Exception.ShouldBeOfType<InvariantViolationException>();
        e.Where.ShouldBe("at a scheduling point of tid 1 (computes/main)");
        e.Seq.ShouldBeNull();
        log.Events[0].Kind.ShouldBe(EventKind.Panic);
        log.Events[0].Seq.ShouldBe(0);
        r.Panic.Seq.ShouldBe(0);
    }
}
