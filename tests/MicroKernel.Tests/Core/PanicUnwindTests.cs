using MicroKernel.Invariants;
using MicroKernel.Processes;

namespace MicroKernel.Tests.Core;

/// <summary>
/// A kernel bug met inside a syscall unwinds the calling program with a <see cref="KernelPanicException"/> that says
/// it is a kernel panic and what the bug was; after a panic the end of the run checks no invariant (the kernel's
/// state is suspect, and the first report is the one that counts).
/// </summary>
public sealed class PanicUnwindTests
{
    [Fact]
    public void The_program_in_the_failed_syscall_unwinds_with_the_panic_named_and_the_run_ends_without_its_end_check()
    {
        var k = new Kernel(new KernelConfig { Frames = 256, MaxTicks = 100_000, Check = CheckLevel.End });
        k.ExitObserver = _ => throw new InvalidOperationException("broken exit hook");
        Exception? seen = null;
        k.Spawn("exiter", sys =>
        {
            try
            {
                sys.Exit(1);
            }
            catch (Exception e)
            {
                seen = e;
                throw;
            }
            return 0;
        });
        RunResult r = k.Run();

        r.Outcome.ShouldBe(RunOutcome.Panic);
        r.Panic!.Summary.ShouldBe("InvalidOperationException: broken exit hook");
        var unwound = seen.ShouldBeOfType<KernelPanicException>();
        unwound.Message.ShouldBe("kernel panic: InvalidOperationException: broken exit hook");
        unwound.InnerException.ShouldBeSameAs(r.Panic.Exception);
        k.InvariantChecksRun.ShouldBe(0);
        // The path into the kernel entry comes with files and lines (the test assembly has its symbols).
        string[] parts = r.Panic.KernelStack.Split("--- the kernel entry was reached from ---");
        parts.Length.ShouldBe(2);
        parts[1].ShouldContain("PanicUnwindTests.cs:line ");
    }
}
