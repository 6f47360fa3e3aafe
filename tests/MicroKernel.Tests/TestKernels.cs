using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests;

/// <summary>Helpers to boot a kernel with a few programs and run it.</summary>
internal static class TestKernels
{
    public static Kernel Boot(ProtectionModel model = ProtectionModel.Paging, PolicyKind policy = PolicyKind.RoundRobin, ulong seed = 1, int frames = 512, int accessesPerTick = 64)
        => new(new KernelConfig { Frames = frames, Protection = model, Policy = policy, Seed = seed, AccessesPerTick = accessesPerTick, MaxTicks = 200_000 });

    public static Process Spawn(this Kernel k, string example, params string[] args)
    {
        k.Spawn(ExamplePrograms.Image(example)!, example, out Process? p, arguments: args).ShouldBe(Syscalls.ErrorCode.Ok);
        return p!;
    }

    public static Process Spawn(this Kernel k, string name, Func<Sys, long> main, FaultPolicy policy = FaultPolicy.Kill, int priority = 0)
    {
        k.Spawn(new ManagedProgram(name, () => new LambdaProgram(main)), name, out Process? p, priority, policy).ShouldBe(Syscalls.ErrorCode.Ok);
        return p!;
    }

    public static (RunResult Result, EventLog Log) RunLogged(this Kernel k)
    {
        var log = new EventLog();
        k.AddSink(log);
        RunResult r = k.Run();
        return (r, log);
    }

    public static void ShouldBalance(this Kernel k) => k.CheckInvariants().ShouldBeEmpty();

    private sealed class LambdaProgram(Func<Sys, long> main) : UserProgram
    {
        public override long Main(Sys sys) => main(sys);
    }
}
