using System.Reflection;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Diagnosers;
using MicroKernel.Benchmarks;

namespace MicroKernel.Tests.Tooling;

/// <summary>
/// Every benchmark class reports memory through the one shared configuration and names its category, so that
/// subsets run by category (docs/benchmarks.md). .ci/run also runs all of them once with <c>--job Dry</c>.
/// </summary>
public sealed class BenchmarkConventionTests
{
    private static IEnumerable<Type> BenchmarkClasses() => typeof(BenchConfig).Assembly.GetTypes()
        .Where(t => t.GetMethods().Any(m => m.GetCustomAttribute<BenchmarkAttribute>() is not null))
        .OrderBy(t => t.Name, StringComparer.Ordinal);

    [Fact]
    public void The_shared_configuration_has_the_memory_diagnoser_and_no_class_adds_its_own()
    {
        BenchConfig.Create().GetDiagnosers().ShouldContain(d => d is MemoryDiagnoser);
        BenchmarkClasses().Count().ShouldBeGreaterThan(10);
        BenchmarkClasses().Where(t => t.GetCustomAttribute<MemoryDiagnoserAttribute>() is not null).Select(t => t.Name).ShouldBeEmpty();
    }

    [Fact]
    public void Every_benchmark_class_has_a_category_of_its_own()
    {
        var categories = BenchmarkClasses().ToDictionary(t => t.Name, t => t.GetCustomAttribute<BenchmarkCategoryAttribute>()?.Categories ?? []);
        categories.Where(c => c.Value.Length != 1).Select(c => c.Key).ShouldBeEmpty("each benchmark class needs one [BenchmarkCategory(\"...\")]");
        categories.Values.Select(c => c[0]).ShouldBeUnique();
    }
}
