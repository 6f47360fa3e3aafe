using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Tracing;

namespace MicroKernel.Tests.Ipc;

public class PageSendSmokeTests
{
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void A_moved_page_reaches_the_handler(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        ulong seen = 0;
        var consumer = k.Spawn("consumer", sys =>
        {
            sys.RegisterHandler(7, (s, m) => { seen = s.Memory.ReadUInt64(m.Address); return true; });
            sys.Pause();
            return 0;
        });
        k.Spawn("producer", sys =>
        {
            ulong page = sys.Map(4096);
            sys.Memory.WriteUInt64(page, 0xC0FFEE);
            sys.Yield();
            return sys.Send(consumer.Pid, 7, page, 1, SendFlags.None) == 1 ? 0 : 1;
        });
        var (r, log) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        seen.ShouldBe(0xC0FFEEUL);
        log.Events.ShouldContain(e => e.Kind == EventKind.Delivery && e.Result == 1);
        k.ShouldBalance();
    }
}
