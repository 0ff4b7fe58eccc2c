using Microsoft.Extensions.Hosting;

namespace TraceReplay.Silo;

/// <summary>A standalone silo: <c>dotnet run --project src/Silo</c>.</summary>
public static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var builder = Host.CreateApplicationBuilder(args);
        builder.UseOrleans(silo => silo.AddTraceReplay().UseTraceReplayClustering(builder.Configuration));
        await builder.Build().RunAsync();
        return 0;
    }
}
