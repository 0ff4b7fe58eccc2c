using TraceReplay.Cli;

return await CliApp.RunAsync(args, CliEnvironment.FromProcess());
