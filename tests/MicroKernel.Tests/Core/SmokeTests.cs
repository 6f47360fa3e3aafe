using MicroKernel.Memory;

namespace MicroKernel.Tests.Core;

public class SmokeTests
{
    [Theory]
    [InlineData(ProtectionModel.Paging)]
    [InlineData(ProtectionModel.ArmV7Mpu)]
    [InlineData(ProtectionModel.ArmV8Mpu)]
    public void Examples_run_to_completion(ProtectionModel model)
    {
        var k = TestKernels.Boot(model);
        var hello = k.Spawn("hello");
        var sieve = k.Spawn("sieve");
        var sum = k.Spawn("parallel-sum");
        var faulter = k.Spawn("faulter");
        var sleeper = k.Spawn("sleeper");
        var (r, _) = k.RunLogged();
        r.Outcome.ShouldBe(RunOutcome.Completed, r.Panic?.ToString());
        k.ConsoleOutput.ToString().ShouldContain("669 primes below 5000");
        hello.ExitStatus.ShouldBe(0);
        sieve.ExitStatus.ShouldBe(0);
        sum.ExitStatus.ShouldBe(0);
        sleeper.ExitStatus.ShouldBe(0);
        faulter.ExitStatus.ShouldBe(128 + (int)Hardware.FaultReason.ReadOnly);
        k.ShouldBalance();
        k.Frames.UserCount.ShouldBe(0);
    }
}
