using MicroKernel.Hardware;
using MicroKernel.Memory;
using MicroKernel.Processes;

namespace MicroKernel.Tests.Lifecycle;

/// <summary>
/// A thread's user accesses (<see cref="SimThread"/>'s load, store and count methods): an access a CPU image counts
/// without making it is a scheduling point like any other, and a store of bytes refused by the protection unit is the
/// process's fault: its code goes no further.
/// </summary>
public class UserAccessTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(5)]
    public void Counted_accesses_are_counted_and_every_N_of_them_is_one_tick(int perTick)
    {
        var k = new Kernel(new KernelConfig { Frames = 64, AccessesPerTick = perTick });
        long ticks = -1, counted = -1;
        k.Spawn("counter", sys =>
        {
            SimThread me = k.ThreadOf(sys);
            long t1 = sys.Time;
            long before = me.Accesses;
            for (int i = 0; i < 3 * perTick; i++) me.CountAccess();
            counted = me.Accesses - before;
            ticks = sys.Time - t1 - 1;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        counted.ShouldBe(3 * perTick);
        ticks.ShouldBe(3);
    }

    [Fact]
    public void A_byte_store_to_a_read_only_page_is_the_processs_fault_and_its_code_goes_no_further()
    {
        using Kernel k = TestKernels.Boot();
        ulong page = 0;
        bool reached = false;
        Process writer = k.Spawn("writer", sys =>
        {
            page = sys.Map(4096, Protection.Read);
            sys.Memory.Write(page + 16, [1, 2, 3]);
            reached = true;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        reached.ShouldBeFalse();
        FaultRecord f = writer.Faults.ShouldHaveSingleItem();
        (f.Reason, f.Access, f.Address).ShouldBe((FaultReason.ReadOnly, AccessKind.Write, page + 16));
        writer.ExitStatus.ShouldBe(f.ExitStatus);
    }
}
