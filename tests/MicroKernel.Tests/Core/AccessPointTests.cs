using MicroKernel.Processes;

namespace MicroKernel.Tests.Core;

/// <summary>
/// Deterministic preemption by counting user accesses: every <see cref="KernelConfig.AccessesPerTick"/> loads or
/// stores of a thread are one scheduling point (one tick), whatever their size, and the thread counts each one.
/// </summary>
public class AccessPointTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(7)]
    public void Every_N_accesses_are_one_tick(int perTick)
    {
        var k = new Kernel(new KernelConfig { Frames = 64, AccessesPerTick = perTick });
        long ticks = -1, counted = -1;
        k.Spawn("p", sys =>
        {
            ulong a = sys.Map(4096);
            SimThread me = k.ThreadOf(sys);
            long t1 = sys.Time;
            long before = me.Accesses;
            // 4 * perTick accesses of three kinds: whatever the phase of the count, exactly 4 scheduling points.
            for (int i = 0; i < perTick; i++)
            {
                sys.Memory.WriteUInt64(a, (ulong)i);
                _ = sys.Memory.ReadUInt64(a);
                sys.Memory.Write(a + 8, [1, 2, 3]);
                _ = sys.Memory.ReadByte(a + 9);
            }
            counted = me.Accesses - before;
            ticks = sys.Time - t1 - 1;
            return 0;
        });
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        counted.ShouldBe(4 * perTick);
        ticks.ShouldBe(4);
    }
}
