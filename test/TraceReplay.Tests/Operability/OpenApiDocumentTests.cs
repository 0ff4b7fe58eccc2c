using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.TestHost;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Operability;

[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed partial class OpenApiDocumentTests(ApiFixture api)
{
    private static readonly string[] Methods = ["get", "put", "post", "delete", "patch"];

    [Fact]
    public void EveryEndpointHasANameASummaryTagsAndItsErrorResponses()
    {
        var endpoints = api.Services.GetRequiredService<EndpointDataSource>().Endpoints;

        var problems = ApiDescriptionRules.Problems(endpoints);

        Assert.True(problems.Count == 0, "Undescribed endpoints:\n" + string.Join("\n", problems));
        Assert.True(ApiDescriptionRules.Described(endpoints).Count() >= 21, "the API's endpoints were not found");
    }

    [Fact]
    public void TheRulesReportAnEndpointWithoutNameSummaryOrErrors()
    {
        var app = WebApplication.CreateBuilder().Build();
        app.MapGet("/undocumented", () => "hi");
        app.MapGet("/only-unauthorized", ApiErrorsOnly).WithName("OnlyUnauthorized").WithSummary("s").WithTags("t").ProducesErrors(401).ProducesUnavailable();
        app.MapGet("/documented", ApiErrorsOnly).WithName("Documented").WithSummary("s").WithTags("t").ProducesErrors(401, 404);
        app.MapGet("/excluded", () => "ok").ExcludeFromDescription();

        var problems = ApiDescriptionRules.Problems(((IEndpointRouteBuilder)app).DataSources.SelectMany(d => d.Endpoints));

        Assert.Contains(problems, p => p.Contains("/undocumented") && p.Contains("no name"));
        Assert.Contains(problems, p => p.Contains("/undocumented") && p.Contains("no summary"));
        Assert.Contains(problems, p => p.Contains("/undocumented") && p.Contains("no documented error response"));
        Assert.Contains(problems, p => p.Contains("/only-unauthorized") && p.Contains("only 401"));
        Assert.DoesNotContain(problems, p => p.Contains("/documented") || p.Contains("/excluded"));
    }

    [Fact]
    public async Task EveryOperationInTheDocumentIsNamedSummarisedTaggedAndDocumentsItsErrorBody()
    {
        var response = await api.Client.GetAsync(ApiDocumentation.DocumentPath);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var document = await ApiFixture.ReadJsonAsync(response);

        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Where(m => Methods.Contains(m.Key)).Select(m => (Name: $"{m.Key.ToUpperInvariant()} {path.Key}", Operation: m.Value!)))
            .ToList();

        var expected = ApiDescriptionRules.Described(api.Services.GetRequiredService<EndpointDataSource>().Endpoints).Count();
        Assert.Equal(expected, operations.Count);
        Assert.NotNull(document["components"]!["schemas"]!["ApiErrorBody"]);
        foreach (var (name, operation) in operations)
        {
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["operationId"]), $"{name}: no operationId");
            Assert.False(string.IsNullOrWhiteSpace((string?)operation["summary"]), $"{name}: no summary");
            Assert.True(operation["tags"] is JsonArray { Count: > 0 }, $"{name}: no tags");
            var errors = operation["responses"]!.AsObject()
                .Where(r => r.Key.StartsWith('4') && (string?)r.Value!["content"]?["application/json"]?["schema"]?["$ref"] == "#/components/schemas/ApiErrorBody")
                .Select(r => r.Key)
                .ToList();
            Assert.True(errors.Count > 0, $"{name}: no 4xx response with the ApiErrorBody schema");
            Assert.Contains("401", errors);
        }
    }

    [Fact]
    public async Task EveryOperationDocumentsA503ServiceUnavailableWithRetryAfterBecauseItReachesStorage()
    {
        var document = await ApiFixture.ReadJsonAsync(await api.Client.GetAsync(ApiDocumentation.DocumentPath));

        var operations = document["paths"]!.AsObject()
            .SelectMany(path => path.Value!.AsObject().Where(m => Methods.Contains(m.Key)).Select(m => (Name: $"{m.Key.ToUpperInvariant()} {path.Key}", Operation: m.Value!)))
            .ToList();

        Assert.Contains(operations, o => o.Name == "POST /api/v1/traces");
        Assert.Contains(operations, o => o.Name == "POST /api/v1/projects");
        foreach (var (name, operation) in operations)
        {
            var unavailable = operation["responses"]?["503"];
            Assert.True(unavailable is not null, $"{name}: no 503 response");
            Assert.Equal("#/components/schemas/ApiErrorBody", (string?)unavailable["content"]?["application/json"]?["schema"]?["$ref"]);
            var retryAfter = unavailable["headers"]?["Retry-After"];
            Assert.True(retryAfter is not null, $"{name}: its 503 names no Retry-After header");
            Assert.Equal("integer", (string?)retryAfter["schema"]?["type"]);
        }
    }

    [Fact]
    public async Task RequestBodiesAndSuccessBodiesAreDescribed()
    {
        var document = await ApiFixture.ReadJsonAsync(await api.Client.GetAsync(ApiDocumentation.DocumentPath));

        var startReplay = document["paths"]!["/api/v1/traces/{traceId}/replays"]!["post"]!;
        var body = startReplay["requestBody"]!["content"]!["application/json"]!["schema"]!;
        var overrides = body["$ref"] is { } reference
            ? document["components"]!["schemas"]![((string)reference!).Split('/')[^1]]!
            : body;
        Assert.NotNull(overrides["properties"]!["model"]);
        Assert.NotNull(overrides["properties"]!["promptTemplateVersionId"]);
        Assert.Equal("#/components/schemas/DataEnvelopeOfReplayDto", (string?)startReplay["responses"]!["202"]!["content"]!["application/json"]!["schema"]!["$ref"]);
        Assert.NotNull(startReplay["responses"]!["410"]);
        Assert.NotNull(document["paths"]!["/api/v1/evaluators/{evaluatorId}"]!["patch"]!["requestBody"]);
        Assert.NotNull(document["components"]!["securitySchemes"]!["bearer"]);
        Assert.Equal("binary", (string?)document["paths"]!["/v1/traces"]!["post"]!["requestBody"]!["content"]!["application/x-protobuf"]!["schema"]!["format"]);
    }

    [Fact]
    public void RoutingConstrainsOnlyPlatformBoundBodiesAndOnlyToJson()
    {
        // Bodies the platform binds (ingestion, replays, sweeps, backfills, evaluators, ...) carry Accepts metadata, so
        // routing answers a body of another content type with 415 itself; that answer is in the error shape and names
        // application/json (RequestBindingApiTests). OTLP, read by its handler in JSON or protobuf, must not be constrained.
        var constrained = ApiDescriptionRules.Described(api.Services.GetRequiredService<EndpointDataSource>().Endpoints)
            .Select(e => (e.DisplayName, Accepts: e.Metadata.GetMetadata<Microsoft.AspNetCore.Http.Metadata.IAcceptsMetadata>()))
            .Where(e => e.Accepts is { ContentTypes.Count: > 0 })
            .ToList();

        Assert.Contains("HTTP: POST /api/v1/sweeps/ => StartSweep", constrained.Select(e => e.DisplayName));
        Assert.Contains("HTTP: POST /api/v1/traces/{traceId}/replays => StartReplay", constrained.Select(e => e.DisplayName));
        Assert.Contains("HTTP: POST /api/v1/traces/ => IngestBatch", constrained.Select(e => e.DisplayName));
        Assert.DoesNotContain(constrained, e => e.DisplayName!.EndsWith("=> ExportTraces", StringComparison.Ordinal));
        Assert.All(constrained, e => Assert.Equal(["application/json"], e.Accepts!.ContentTypes));
    }

    [Fact]
    public async Task TheReferencePageIsServedLocallyWithoutAKeyAndLoadsNothingFromElsewhere()
    {
        using var anonymous = ((TestServer)api.Services.GetRequiredService<IServer>()).CreateClient();

        var page = await anonymous.GetAsync($"/{ApiDocumentation.ReferencePath}/index.html");

        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        var html = await page.Content.ReadAsStringAsync();
        var assets = AssetReference().Matches(html).Select(m => m.Groups["url"].Value).ToList();
        Assert.NotEmpty(assets);
        Assert.All(assets, url => Assert.False(url.Contains("//"), $"the page loads {url} from another host"));
        foreach (var asset in assets)
        {
            var served = await anonymous.GetAsync($"/{ApiDocumentation.ReferencePath}/{asset.TrimStart('.', '/')}");
            Assert.True(served.StatusCode == HttpStatusCode.OK, $"{asset} answered {(int)served.StatusCode}");
        }

        var script = await anonymous.GetStringAsync($"/{ApiDocumentation.ReferencePath}/index.js");
        Assert.Contains($"\"url\":\"{ApiDocumentation.DocumentPath}\"", script);
        Assert.Contains("validatorUrl = null", script);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(ApiDocumentation.DocumentPath)).StatusCode);
    }

    private static Results<Ok<string>, JsonHttpResult<ApiErrorBody>> ApiErrorsOnly() =>
        TypedResults.Ok("x");

    [GeneratedRegex("(?:src|href)=\"(?<url>[^\"]+)\"")]
    private static partial Regex AssetReference();
}
