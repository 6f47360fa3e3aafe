using BenchmarkDotNet.Running;

// Benchmarks report ratios against a baseline measured in the same run; nothing here is asserted.
// Run: dotnet run -c Release --project tests/MicroKernel.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(MicroKernel.Benchmarks.SyscallBenchmarks).Assembly).Run(args);
