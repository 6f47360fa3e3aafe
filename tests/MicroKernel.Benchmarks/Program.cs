using BenchmarkDotNet.Running;
using MicroKernel.Benchmarks;

// Benchmarks report ratios against a baseline measured in the same run; nothing here is asserted.
// Run: dotnet run -c Release --project tests/MicroKernel.Benchmarks -- --filter '*'   (a subset: --anyCategories rpc x86)
BenchmarkSwitcher.FromAssembly(typeof(SyscallBenchmarks).Assembly).Run(args, BenchConfig.Create());
