using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using MicroKernel.Tracing;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The Counted column of <see cref="PortalBenchmarks"/>: what is counted rather than timed, computed once in the host
/// process as the summary is written (as <see cref="BytesPerEventColumn"/> does: BenchmarkDotNet cannot carry a
/// benchmark's result to the summary). Round trips: kernel entries (syscalls of every process) per parcel, the
/// difference of a run of 2N and one of N round trips over 2N parcels, so setup and exit cancel out. Pair openings:
/// heap bytes kept per open pair (a full collection before the first and after the last, every pair still open,
/// both nodes' state).
/// The route: its hops when C got the portal and when the ping crossed, with the round trips and simulated ticks
/// from B's transfer until then. Kernel entries and the route are deterministic; the heap figures nearly so. Under
/// a Dry job (CI's pass) only the cheap figures are computed.
/// </summary>
public sealed class PortalFiguresColumn : IColumn
{
    private const int Trips = 200;
    private readonly Dictionary<string, string> _figures = new(StringComparer.Ordinal);

    /// <inheritdoc />
    public string Id => nameof(PortalFiguresColumn);

    /// <inheritdoc />
    public string ColumnName => "Counted";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => false;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "Counted, not timed: kernel entries per parcel (round trips), heap kept per open pair, the route's hops and the simulated ticks until direct";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase)
    {
        string name = benchmarkCase.Descriptor.WorkloadMethod.Name;
        bool dry = benchmarkCase.Job.Run.HasValue(BenchmarkDotNet.Jobs.RunMode.IterationCountCharacteristic) && benchmarkCase.Job.Run.IterationCount == 1;
        lock (_figures)
        {
            if (!_figures.TryGetValue(name, out string? value)) _figures[name] = value = Compute(name, dry);
            return value;
        }
    }

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    /// <summary>The figure of one benchmark; <paramref name="dry"/>: only the cheap ones.</summary>
    public static string Compute(string benchmark, bool dry) => benchmark switch
    {
        nameof(PortalBenchmarks.QueueServerRoundTrip) => EntriesPerParcel(PortalBenchmarks.QueueServerKernel),
        nameof(PortalBenchmarks.RpcRoundTrip) => EntriesPerParcel(PortalBenchmarks.RpcKernel),
        nameof(PortalBenchmarks.PortalRoundTripWaiting) => EntriesPerParcel(n => PortalBenchmarks.PortalKernel(n, busy: false)),
        nameof(PortalBenchmarks.PortalRoundTripBusy) => EntriesPerParcel(n => PortalBenchmarks.PortalKernel(n, busy: true)),
        nameof(PortalBenchmarks.OpenPairsInOneNode) when !dry => HeapPerPair(m => PortalBenchmarks.OneNodePairsKernel(PortalBenchmarks.Pairs, m)),
        nameof(PortalBenchmarks.OpenPairsBetweenTwoNodes) when !dry => HeapPerPair(m => PortalBenchmarks.TwoNodePairsKernel(PortalBenchmarks.Pairs, m)),
        nameof(PortalBenchmarks.RouteUntilDirect) => Route(),
        _ => "-",
    };

    private static string EntriesPerParcel(Func<int, Kernel> make)
    {
        long once = Syscalls(make(Trips)), twice = Syscalls(make(2 * Trips));
        return string.Create(CultureInfo.InvariantCulture, $"{(twice - once) / (2.0 * Trips):0.00} kernel entries/parcel");
    }

    private static long Syscalls(Kernel k)
    {
        var counter = new SyscallCounter();
        k.AddSink(counter);
        PortalBenchmarks.Run(k);
        return counter.Count;
    }

    private static string HeapPerPair(Func<Action, Kernel> make)
    {
        // Both inside the run, so the kernel, its RAM and the nodes' pools cancel out.
        var heap = new List<long>();
        PortalBenchmarks.Run(make(() => heap.Add(GC.GetTotalMemory(forceFullCollection: true))));
        long before = heap[0], with = heap[1];
        return string.Create(CultureInfo.InvariantCulture, $"{(with - before) / (double)PortalBenchmarks.Pairs:0} B heap kept/pair");
    }

    private static string Route()
    {
        var f = new PortalBenchmarks.RouteFigures();
        PortalBenchmarks.Run(PortalBenchmarks.RouteKernel(f));
        return string.Create(CultureInfo.InvariantCulture, $"{f.HopsBefore} -> {f.HopsAfter} hops in {f.RoundTrips} round trips, {f.Ticks} ticks");
    }

    private sealed class SyscallCounter : IEventSink
    {
        public long Count { get; private set; }

        public void Emit(in KernelEvent e)
        {
            if (e.Kind == EventKind.SyscallEnter) Count++;
        }
    }
}
