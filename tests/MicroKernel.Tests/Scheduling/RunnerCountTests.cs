using Iced.Intel;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;
using MicroKernel.Userland.Loader;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.Scheduling;

/// <summary>
/// The host threads of a run, counted while it runs: an x86 thread has no host thread of its own, but the runner
/// whose stack holds it while it waits in the kernel is a live host thread until the run ends.
/// </summary>
public class RunnerCountTests
{
    // An x86 program that yields `n` times (each a switch inside the kernel: its runner waits with it), then exits 6.
    private static X86Program Yielder(int n)
    {
        byte[] code = X86TestMachine.Assemble(a =>
        {
            Label loop = a.CreateLabel();
            a.mov(ebx, n);
            a.Label(ref loop);
            a.mov(eax, (int)SyscallNumber.Yield);
            a.syscall();
            a.dec(ebx);
            a.jnz(loop);
            a.mov(edi, 6);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.syscall();
        }, FlatBinary.DefaultBase);
        return X86Program.FromFlat("yielder", FlatBinary.Create(code, FlatBinary.DefaultBase));
    }

    [Fact]
    public void A_runner_holding_a_waiting_x86_thread_is_a_live_host_thread_until_the_run_ends()
    {
        var k = new Kernel(new KernelConfig { Frames = 1024, InlineThreads = true });
        k.Spawn(Yielder(5), "x86", out _).ShouldBe(ErrorCode.Ok);
        var seen = new List<(int Live, int Started)>();
        k.Spawn("cs", sys =>
        {
            for (int i = 0; i < 3; i++)
            {
                sys.Yield(); // the x86 thread runs a yield of its own and hands the CPU back: its runner waits with it
                seen.Add((k.LiveHostThreads, k.HostThreadsStarted));
            }
            return 0;
        });
        RunResult r = k.Run();
        r.Outcome.ShouldBe(RunOutcome.Completed);
        r.Processes[0].ExitStatus.ShouldBe(6);
        // This program's own host thread and one runner: alive, and the only two ever started.
        seen.ShouldBe([(2, 2), (2, 2), (2, 2)]);
        // The run is over: the runner ends without a Dispose.
        SpinWait.SpinUntil(() => k.LiveHostThreads == 0, TimeSpan.FromSeconds(30)).ShouldBeTrue();
        k.Dispose();
    }
}
