using MicroKernel.Memory;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Tracing;
using MicroKernel.Userland.Examples;
using MicroKernel.Userland.Loader;
using MicroKernel.Userland.Runtime;

namespace MicroKernel.Tests;

/// <summary>Helpers to boot a kernel with a few programs and run it.</summary>
internal static class TestKernels
{
    public static Kernel Boot(ProtectionModel model = ProtectionModel.Paging, PolicyKind policy = PolicyKind.RoundRobin, ulong seed = 1, int frames = 512, int accessesPerTick = 64)
        => new(new KernelConfig { Frames = frames, Protection = model, Policy = policy, Seed = seed, AccessesPerTick = accessesPerTick, MaxTicks = 200_000 });

    public static Process Spawn(this Kernel k, string example, params string[] args)
    {
        k.Spawn(ExampleImages.Image(example)!, example, out Process? p, arguments: args).ShouldBe(Syscalls.ErrorCode.Ok);
        return p!;
    }

    public static Process Spawn(this Kernel k, string name, Func<Sys, long> main, FaultPolicy policy = FaultPolicy.Kill, int priority = 0)
    {
        k.Spawn(new ManagedProgram(name, () => new LambdaProgram(main)), name, out Process? p, priority, policy).ShouldBe(Syscalls.ErrorCode.Ok);
        return p!;
    }

    // The test host, which holds the kernel, looks at a running program's process: a program itself cannot (its Sys
    // is its port), so these take the kernel explicitly.

    /// <summary>The process <paramref name="sys"/> belongs to, as the test host sees it (one getpid syscall).</summary>
    public static Process ProcessOf(this Kernel k, Sys sys) => k.FindProcess(sys.Pid)!;

    /// <summary>The test host's view of the simulated thread a program's <paramref name="sys"/> runs on (programs cannot get it).</summary>
    public static SimThread ThreadOf(this Kernel k, Sys sys) => k.Scheduler.Current!;

    /// <summary>The VMA of <paramref name="sys"/>'s process that holds <paramref name="address"/>.</summary>
    public static Vma AreaAt(this Kernel k, Sys sys, ulong address) => k.ProcessOf(sys).AddressSpace.Areas.Single(v => v.Contains(address));

    /// <summary>The VMAs of <paramref name="sys"/>'s process other than the loader's runtime area (startup block, console slots).</summary>
    public static List<Vma> ProgramAreas(this Kernel k, Sys sys) => [.. k.ProcessOf(sys).AddressSpace.Areas.Where(v => v.Name != RuntimeArea)];

    /// <summary>The name of the VMA the C# loader maps at every load (<see cref="ManagedProgram"/>).</summary>
    public const string RuntimeArea = "runtime";

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
