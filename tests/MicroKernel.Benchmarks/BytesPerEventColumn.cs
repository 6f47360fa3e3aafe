using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace MicroKernel.Benchmarks;

/// <summary>
/// A summary column with the trace bytes per event of each <see cref="TraceBenchmarks"/> benchmark that writes a
/// trace (binary or JSON Lines), "-" for the others. A size is a count, not a time, and BenchmarkDotNet cannot carry
/// a benchmark's return value from the benchmark process to the summary (dotnet/BenchmarkDotNet#784), so the column
/// runs the same encoding code once in the host process, as the summary is written: the figure is deterministic, so
/// it is the one every invocation produced.
/// </summary>
public sealed class BytesPerEventColumn : IColumn
{
    private readonly Lazy<Dictionary<string, double?>> _figures = new(Compute);

    /// <inheritdoc />
    public string Id => nameof(BytesPerEventColumn);

    /// <inheritdoc />
    public string ColumnName => "Bytes/event";

    /// <inheritdoc />
    public bool AlwaysShow => true;

    /// <inheritdoc />
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc />
    public int PriorityInCategory => 0;

    /// <inheritdoc />
    public bool IsNumeric => true;

    /// <inheritdoc />
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc />
    public string Legend => "Trace bytes per event (the file less its magic and header, or less the JSON header line, over the events)";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        _figures.Value.GetValueOrDefault(benchmarkCase.Descriptor.WorkloadMethod.Name) is double v
            ? v.ToString("0.00", CultureInfo.InvariantCulture)
            : "-";

    /// <inheritdoc />
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style) => GetValue(summary, benchmarkCase);

    /// <inheritdoc />
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc />
    public bool IsAvailable(Summary summary) => true;

    private static Dictionary<string, double?> Compute()
    {
        var bench = new TraceBenchmarks();
        bench.Setup();
        var figures = new Dictionary<string, double?>(StringComparer.Ordinal);
        foreach (var method in typeof(TraceBenchmarks).GetMethods())
            if (method.IsDefined(typeof(BenchmarkDotNet.Attributes.BenchmarkAttribute), inherit: false))
                figures[method.Name] = bench.BytesPerEvent(method.Name);
        return figures;
    }
}
