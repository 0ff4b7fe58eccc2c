using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Postgres;

/// <summary>
/// A cluster of real processes on one test database: <c>src/Silo</c> processes and a <c>src/Api</c> process in the
/// Client role, all pointed at a fake LLM provider; an HTTP client for the API with the admin key.
/// </summary>
public sealed class ClusterProcesses : IAsyncDisposable
{
    private readonly List<SiloProcess> _processes = [];

    private ClusterProcesses(string db, FakeOpenAiServer llm, IDictionary<string, string?> extra)
    {
        Db = db;
        Llm = llm;
        Extra = extra;
        ClusterId = "res-" + Guid.NewGuid().ToString("N")[..12];
        ApiUrl = $"http://127.0.0.1:{PostgresSilo.FreePort()}";
        Http = new HttpClient { BaseAddress = new Uri(ApiUrl), Timeout = TimeSpan.FromSeconds(20) };
        Http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", ApiFixture.ApiKey);
    }

    public string Db { get; }

    public FakeOpenAiServer Llm { get; }

    public string ClusterId { get; }

    public string ApiUrl { get; }

    public HttpClient Http { get; }

    private IDictionary<string, string?> Extra { get; }

    /// <summary>A fresh migrated database and a fake provider; null when PostgreSQL is not configured outside CI.</summary>
    /// <param name="server">Another PostgreSQL server than the shared one (a test's own), as a connection string.</param>
    /// <param name="migrated">False: an empty database, whose schema the first silo creates.</param>
    public static async Task<ClusterProcesses?> CreateAsync(IDictionary<string, string?>? extra = null, string? server = null, bool migrated = true)
    {
        var db = migrated ? await TestPostgres.CreateMigratedDatabaseAsync(server) : await TestPostgres.CreateDatabaseAsync(server);
        return db is null ? null : new ClusterProcesses(db, await FakeOpenAiServer.StartAsync(), extra ?? new Dictionary<string, string?>());
    }

    /// <summary>Starts a silo on new ports; <paramref name="db"/> replaces the database address (a relay, say).</summary>
    public SiloProcess StartSilo(string? db = null)
    {
        var settings = PostgresSilo.SiloSettings(db ?? Db, ClusterId, Settings());
        var silo = SiloProcess.Start(settings);
        _processes.Add(silo);
        return silo;
    }

    public SiloProcess StartApi()
    {
        var settings = Settings();
        settings["urls"] = ApiUrl;
        settings["TraceReplay:Role"] = "Client";
        settings["ConnectionStrings:Postgres"] = Db;
        settings["Orleans:ClusterId"] = ClusterId;
        settings["Orleans:ServiceId"] = ClusterId;
        settings["TraceReplay:Api:ApiKey"] = ApiFixture.ApiKey;
        settings["TraceReplay:Api:SeedDemoData"] = "false";
        settings["Logging:LogLevel:Default"] = "Warning";
        var api = SiloProcess.StartApi(settings);
        _processes.Add(api);
        return api;
    }

    /// <summary>Status of GET <paramref name="path"/>, or null when the API does not answer at all.</summary>
    public async Task<HttpStatusCode?> StatusAsync(string path)
    {
        try
        {
            using var response = await Http.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return null;
        }
        catch (TaskCanceledException)
        {
            return null;
        }
    }

    /// <summary>Polls until <paramref name="done"/> holds for GET <paramref name="path"/>'s data, failing after <paramref name="timeout"/>.</summary>
    public async Task<JsonNode> WaitForDataAsync(string path, Func<JsonNode, bool> done, TimeSpan timeout, string what)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                using var response = await Http.GetAsync(path);
                if (response.IsSuccessStatusCode && JsonNode.Parse(await response.Content.ReadAsStringAsync())?["data"] is { } data && done(data))
                {
                    return data;
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // The API or the cluster is not there yet: ask again.
            }

            if (clock.Elapsed > timeout)
            {
                Assert.Fail($"Timed out after {timeout.TotalSeconds:0} s waiting for {what}.\n{Output()}");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>Ingests <paramref name="count"/> traces tagged with a fresh tag, each with <paramref name="llmSpans"/> distinct LLM spans.</summary>
    public async Task<(string Tag, List<string> Ids)> IngestAsync(int count, int llmSpans)
    {
        var tag = "res-" + Guid.NewGuid().ToString("N")[..8];
        var ids = new List<string>();
        foreach (var chunk in Enumerable.Range(0, count).Chunk(50))
        {
            var events = new List<JsonObject>();
            foreach (var i in chunk)
            {
                var id = Batches.NewTraceId();
                ids.Add(id);
                events.Add(Batches.TraceCreate(id, "resilience", [tag], DateTimeOffset.UtcNow.AddMinutes(-10)));
                for (var s = 0; s < llmSpans; s++)
                {
                    events.Add(Batches.LlmSpan(id, $"llm{s}", $"{id}/llm{s}", "gpt-4o-mini"));
                }
            }

            using var response = await Http.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events]));
            Assert.True(response.StatusCode == HttpStatusCode.Created, $"ingest answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }

        return (tag, ids);
    }

    public async Task<string> StartSweepAsync(string tag)
    {
        using var response = await Http.PostAsJsonAsync("/api/v1/sweeps", new { name = "resilience", filter = new { tags = new[] { tag } } });
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.StatusCode == HttpStatusCode.Accepted, $"sweep start answered {(int)response.StatusCode}: {body}");
        return (string)JsonNode.Parse(body)!["data"]!["id"]!;
    }

    /// <summary>Replay traces made for <paramref name="traceIds"/>: (all rows, distinct source traces).</summary>
    public async Task<(long Rows, long Sources)> ReplayTracesAsync(IEnumerable<string> traceIds)
    {
        var list = string.Join(',', traceIds.Select(id => $"'{id}'"));
        return (await TestPostgres.ScalarAsync<long>(Db, $"SELECT count(*) FROM trace_catalog WHERE replay_of_trace_id IN ({list})"),
            await TestPostgres.ScalarAsync<long>(Db, $"SELECT count(DISTINCT replay_of_trace_id) FROM trace_catalog WHERE replay_of_trace_id IN ({list})"));
    }

    /// <summary>The fake provider's requests, by the user text (which names the trace and span they replay).</summary>
    public Dictionary<string, int> CallsBySpan() =>
        Llm.Requests.GroupBy(r => r.Body["messages"]!.AsArray().Last()!["content"]!.GetValue<string>()).ToDictionary(g => g.Key, g => g.Count());

    public string Output() => string.Join("\n---\n", _processes.Select(p => $"[{p.Id}{(p.HasExited ? " exited" : "")}]\n{p.Output}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _processes)
        {
            process.Dispose();
        }

        Http.Dispose();
        await Llm.DisposeAsync();
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = new Dictionary<string, string?>(FakeLlmConfiguration.For(Llm));
        foreach (var (key, value) in Extra)
        {
            settings[key] = value;
        }

        return settings;
    }
}
