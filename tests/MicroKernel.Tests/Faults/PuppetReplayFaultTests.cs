using MicroKernel.Faults;
using MicroKernel.Ipc.PageSend;
using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests.Faults;

/// <summary>
/// Trace-driven replay (<c>--syscalls-only</c>) of runs with injections: the puppets re-issue the recorded syscalls in a
/// kernel running the same plan, so injected results (refused calls, refused frames, kills) come out as recorded.
/// </summary>
public class PuppetReplayFaultTests
{
    private const ulong Page = 4096;

    private static ManagedProgram Program(string name, Func<Sys, long> main) => new ManagedProgram(name, () => new Lambda(main));

    private sealed class Lambda(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }

    private static long Mapper(Sys sys)
    {
        long ok = 0;
        for (int i = 0; i < 4; i++)
        {
            long r = sys.Syscall(SyscallNumber.Map, 0, Page, (ulong)Protection.ReadWrite);
            if (r > 0) { sys.Memory.WriteUInt64((ulong)r, 9); ok++; }
        }
        for (int i = 0; i < 10; i++) sys.Syscall(SyscallNumber.Time);
        return ok;
    }

    [Theory]
    [InlineData("syscall")]
    [InlineData("frames")]
    [InlineData("kill")]
    [InlineData("crash")]
    [InlineData("preempt")]
    [InlineData("delay")]
    public void Injected_results_reproduce_under_puppets(string kind)
    {
        // The frames rule hits the first requests after the three spawns.
        var probe = new Kernel(FaultRig.Config(rules: [new FramesFaultRule(1_000_000)]));
        foreach ((string name, Func<ProgramImage> image) in Programs()) probe.Spawn(image(), name, out _);
        FaultRule rule = kind switch
        {
            "syscall" => new SyscallFaultRule("map", 2, ErrorCode.OutOfMemory),
            "frames" => new FramesFaultRule(probe.Injector.FrameRequests + 1, Count: 3),
            "kill" => new KillFaultRule(1, Tick: null, SyscallNth: 3),
            "crash" => new CrashFaultRule(2, 6),
            "preempt" => new PreemptFaultRule(4),
            _ => new DelayFaultRule(1, 20),
        };
        KernelConfig config = FaultRig.Config(rules: [rule]);
        (string? problem, var injections, long issued) = FaultRig.ReplayPuppets(config, Programs());
        injections.ShouldNotBeEmpty();
        issued.ShouldBeGreaterThan(0);
        problem.ShouldBeNull();
    }

    [Fact]
    public void Puppets_in_a_kernel_without_the_plan_see_the_injected_result_diverge()
    {
        KernelConfig config = FaultRig.Config(rules: [new SyscallFaultRule("map", 2, ErrorCode.OutOfMemory)]);
        (string? problem, _, _) = FaultRig.ReplayPuppets(config, FaultRig.Config(), Programs());
        problem.ShouldNotBeNull();
    }

    private static (string, Func<ProgramImage>)[] Programs() =>
        [
            ("mapper", () => Program("mapper", Mapper)),
            ("receiver", () => Program("receiver", sys =>
            {
                sys.RegisterHandler(7, (s, m) => true);
                sys.Pause(100);
                return 0;
            })),
            ("sender", () => Program("sender", sys =>
            {
                ulong page = sys.Map(Page);
                sys.Memory.WriteUInt64(page, 1);
                return sys.Send(2, 7, page, 1, SendFlags.None);
            })),
        ];
}
