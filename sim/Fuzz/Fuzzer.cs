using System.Collections.Immutable;
using MicroKernel.Invariants;
using MicroKernel.Processes;
using MicroKernel.Scheduling;
using MicroKernel.Syscalls;
using MicroKernel.Userland.Examples.Fuzz;
using MicroKernel.Userland.Loader;

namespace MicroKernel.Sim.Fuzz;

/// <summary>What a fuzz run did.</summary>
/// <param name="Tally">Syscall x result over every kernel of the run.</param>
/// <param name="Syscalls">Syscalls issued.</param>
/// <param name="Kernels">Kernels booted (a new one whenever every fuzz process of the last had ended).</param>
/// <param name="Restarts">Fuzz processes killed by their own fault and restarted by their supervisor policy.</param>
/// <param name="Failure">The first failure, or null when the kernel held.</param>
internal sealed record FuzzResult(SyscallTally Tally, long Syscalls, int Kernels, long Restarts, FuzzFailure? Failure)
{
    /// <summary>Kernels whose processes all ended blocked (random waits with no one to wake them): the kernel reported a deadlock.</summary>
    public int Deadlocks { get; init; }
}

/// <summary>
/// <c>mk fuzz</c>: K processes issue random syscalls (<see cref="FuzzProgram"/>) with the invariant catalogue checked
/// after every one (<see cref="CheckLevel.Syscall"/>). A fuzz process that faults is restarted; when every process of
/// a kernel has ended (an exit drawn, a deadlock of random waits) a fresh kernel boots with the next round's seed, so
/// the run goes on until its syscall budget is spent or the kernel breaks: a panic (an invariant included), an error
/// a syscall does not document, or an exception out of the kernel.
/// </summary>
internal static class Fuzzer
{
    /// <summary>Most recorded syscalls <c>--from-trace</c> keeps (the first ones).</summary>
    public const int MaxCorpus = 4096;

    /// <summary>Runs <paramref name="options"/>; <paramref name="booted"/> (tests only) sees each kernel before it runs.</summary>
    public static FuzzResult Run(FuzzOptions options, ImmutableArray<FuzzCall> corpus, Action<Kernel>? booted = null)
    {
        var tally = new SyscallTally();
        long done = 0, restarts = 0;
        int round = 0, deadlocks = 0;
        var seeds = new SplitMix64(options.Seed);
        while (done < options.Syscalls)
        {
            round++;
            ulong seed = seeds.Next();
            using var kernel = new Kernel(new KernelConfig
            {
                Protection = options.Protection,
                Policy = PolicyKind.Random,
                Seed = seed,
                Check = CheckLevel.Syscall,
                // Random sleeps may ask for 2^40 ticks: virtual time must not end the run, the budget does.
                MaxTicks = long.MaxValue / 4,
            });
            tally.Know(kernel.Syscalls);
            var settings = new FuzzSettings(seed, options.Processes, [.. kernel.Syscalls.All.Select(s => new FuzzTarget(s.Number, s.Name, [.. s.Args.Select(a => a.Name)]))], corpus);
            for (int p = 1; p <= options.Processes; p++)
            {
                ErrorCode spawned = kernel.Spawn(new ManagedProgram("fuzz", () => new FuzzProgram(settings)), string.Create(CultureInfo.InvariantCulture, $"fuzz{p}"),
                    out _, faultPolicy: FaultPolicy.Restart, maxRestarts: int.MaxValue);
                if (spawned != ErrorCode.Ok) throw new InvalidOperationException($"cannot spawn fuzz process {p}: {spawned}");
            }
            var sink = new FuzzSink(kernel, tally, done + 1, options.Syscalls - done);
            kernel.AddSink(sink);
            booted?.Invoke(kernel);
            RunResult result;
            try
            {
                result = kernel.Run();
            }
            catch (Exception e)
            {
                (long index, string call) = sink.Where(kernel.Scheduler.Current?.Tid ?? 0);
                return new FuzzResult(tally, done + sink.Entered, round, restarts,
                    new FuzzFailure(FuzzFailureKind.HostException, index, round, call, $"{e.GetType().Name}: {e.Message}", e.ToString()));
            }
            long issued = sink.Entered;
            restarts += result.Processes.Sum(p => (long)p.Restarts);
            if (result.Outcome == RunOutcome.Deadlock) deadlocks++;
            FuzzFailure? failure = null;
            if (result.Panic is { } panic)
            {
                (long index, string call) = sink.Where(panic.Tid);
                failure = new FuzzFailure(FuzzFailureKind.Panic, index, round, call, panic.Summary, panic.ToString());
            }
            else if (sink.Undocumented is { } u)
                failure = new FuzzFailure(FuzzFailureKind.UndocumentedError, u.Index, round, u.Syscall, u.Detail, null);
            else if (!result.Deterministic)
            {
                // A thread held the CPU for seconds without a scheduling point: the fuzz program never does, so the kernel spun.
                (long index, string call) = sink.Where(0);
                failure = new FuzzFailure(FuzzFailureKind.HostException, index, round, call, "the host watchdog fired: a thread held the CPU without a scheduling point (a kernel loop?)", null);
            }
            else if (result.HostReports.Count > 0)
            {
                (long index, string call) = sink.Where(0);
                failure = new FuzzFailure(FuzzFailureKind.HostException, index, round, call, result.HostReports[0], string.Join("\n", result.HostReports));
            }
            done += issued;
            if (failure is not null) return new FuzzResult(tally, done, round, restarts, failure) { Deadlocks = deadlocks };
            if (issued == 0) throw new InvalidOperationException("a fuzz kernel ran without a single syscall");
        }
        return new FuzzResult(tally, done, round, restarts, null) { Deadlocks = deadlocks };
    }
}
