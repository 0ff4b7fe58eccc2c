using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// dotnet run -c Release --project benchmarks/TraceReplay.Benchmarks -- --filter '*'
// In process: the repository's central package management would get in the way of a generated benchmark project.
var config = DefaultConfig.Instance.AddJob(Job.ShortRun.WithToolchain(InProcessEmitToolchain.Instance));
BenchmarkSwitcher.FromAssembly(typeof(TraceReplay.Benchmarks.Samples).Assembly).Run(args, config);
