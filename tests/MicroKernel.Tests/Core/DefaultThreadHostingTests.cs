using Iced.Intel;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Tests.X86;
using MicroKernel.Userland.Loader;
using MicroKernel.X86;
using static Iced.Intel.AssemblerRegisters;

namespace MicroKernel.Tests.Core;

/// <summary>
/// By default (<see cref="KernelConfig.InlineThreads"/> not set) x86 threads are inline threads: the threads of a
/// process share a runner host thread (one more only where a thread blocks in a syscall), where with InlineThreads = false each simulated thread has its own.
/// </summary>
public sealed class DefaultThreadHostingTests
{
    // main starts a thread (that would return at once) and exits with 3: no syscall of it blocks.
    private static X86Program TwoThreads()
    {
        byte[] code = X86TestMachine.Assemble(a =>
        {
            Label worker = a.CreateLabel();
            a.lea(rdi, __[worker]);
            a.xor(esi, esi);
            a.xor(edx, edx);
            a.mov(eax, (int)SyscallNumber.ThreadCreate);
            a.syscall();
            a.mov(edi, 3);
            a.mov(eax, (int)SyscallNumber.Exit);
            a.syscall();
            a.Label(ref worker);
            a.xor(eax, eax);
            a.ret();
        }, FlatBinary.DefaultBase);
        return X86Program.FromFlat("two", FlatBinary.Create(code, FlatBinary.DefaultBase));
    }

    private static Kernel Ran(KernelConfig config)
    {
        var k = new Kernel(config);
        k.Spawn(TwoThreads(), "two", out Process? p).ShouldBe(ErrorCode.Ok);
        k.Run().Outcome.ShouldBe(RunOutcome.Completed);
        p!.ExitStatus.ShouldBe(3);
        return k;
    }

    [Fact]
    public void A_default_kernel_runs_two_x86_threads_on_one_runner_and_a_hosted_one_on_two_host_threads()
    {
        X86CpuModes.Use(X86CpuMode.Interpret);
        using Kernel inline = Ran(new KernelConfig { Frames = 512, MaxTicks = 100_000 });
        using Kernel hosted = Ran(new KernelConfig { Frames = 512, MaxTicks = 100_000, InlineThreads = false });
        inline.HostThreadsStarted.ShouldBe(1);
        hosted.HostThreadsStarted.ShouldBe(2);
    }
}
