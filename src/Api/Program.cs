using TraceReplay.Api.Infrastructure;

var builder = WebApplication.CreateBuilder(args);
builder.AddTraceReplayApi();

var app = builder.Build();
app.UseTraceReplayApi();
app.Run();

/// <summary>The API's entry point, named for WebApplicationFactory.</summary>
public partial class Program;
