using BenchmarkDotNet.Running;

// dotnet run -c Release --project benchmarks/TraceReplay.Benchmarks -- --filter '*'
BenchmarkSwitcher.FromAssembly(typeof(TraceReplay.Benchmarks.Samples).Assembly).Run(args);
