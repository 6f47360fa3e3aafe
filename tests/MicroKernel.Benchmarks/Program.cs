using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using MicroKernel.Benchmarks;

// Benchmarks report ratios against a baseline measured in the same run; nothing here is asserted.
// Run: dotnet run -c Release --project tests/MicroKernel.Benchmarks -- --filter '*'   (a subset: --anyCategories rpc x86)
// The exit code is 1 when a benchmark failed to build or run (BenchmarkDotNet itself exits 0): .ci/run relies on it.
if (args is ["--cpu-probe", ..])
{
    EventCpuProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : -1);
    return 0;
}
if (args is ["--x86-probe", ..])
{
    X86CpuProbe.Run(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 7,
        args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : -1);
    return 0;
}
IEnumerable<Summary> summaries = BenchmarkSwitcher.FromAssembly(typeof(SyscallBenchmarks).Assembly).Run(args, BenchConfig.Create());
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
