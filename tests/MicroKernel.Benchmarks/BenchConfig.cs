using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Diagnosers;

namespace MicroKernel.Benchmarks;

/// <summary>
/// The one configuration every benchmark runs with (Program.cs passes it to the switcher): the default jobs plus
/// the memory diagnoser, so that every class reports bytes allocated per operation. Each class carries a
/// <c>[BenchmarkCategory]</c> for <c>--anyCategories</c> (docs/benchmarks.md); BenchmarkConventionTests checks both.
/// </summary>
public static class BenchConfig
{
    /// <summary>The configuration: default jobs and columns, and <see cref="MemoryDiagnoser"/>.</summary>
    public static IConfig Create() => DefaultConfig.Instance.AddDiagnoser(MemoryDiagnoser.Default);
}
