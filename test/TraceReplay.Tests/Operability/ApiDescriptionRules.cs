using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using TraceReplay.Api.Infrastructure;

namespace TraceReplay.Tests.Operability;

/// <summary>
/// What every endpoint of the API must declare for the OpenAPI document: a name, a summary, tags and its error
/// responses with the error body. An endpoint that is deliberately not part of the API (health, metrics, the document
/// itself) says so with <c>ExcludeFromDescription()</c>.
/// </summary>
public static class ApiDescriptionRules
{
    /// <summary>One line per missing declaration, naming the endpoint; empty when every endpoint is described.</summary>
    public static IReadOnlyList<string> Problems(IEnumerable<Endpoint> endpoints)
    {
        var problems = new List<string>();
        foreach (var endpoint in Described(endpoints))
        {
            var label = endpoint.DisplayName ?? endpoint.RoutePattern.RawText ?? "?";
            var metadata = endpoint.Metadata;
            if (metadata.GetMetadata<IEndpointNameMetadata>() is not { EndpointName.Length: > 0 })
            {
                problems.Add($"{label}: no name (.WithName)");
            }

            if (metadata.GetMetadata<IEndpointSummaryMetadata>() is not { Summary.Length: > 0 })
            {
                problems.Add($"{label}: no summary (.WithSummary)");
            }

            if (!metadata.GetOrderedMetadata<ITagsMetadata>().SelectMany(t => t.Tags).Any())
            {
                problems.Add($"{label}: no tags (.WithTags)");
            }

            var errors = metadata.GetOrderedMetadata<IProducesResponseTypeMetadata>()
                .Where(p => p.StatusCode is >= 400 and < 600 && p.Type == typeof(ApiErrorBody))
                .Select(p => p.StatusCode)
                .ToHashSet();
            if (errors.Count == 0)
            {
                problems.Add($"{label}: no documented error response (.ProducesErrors)");
            }
            else if (CanAnswerError(metadata.GetMetadata<MethodInfo>()) && errors.All(s => s is StatusCodes.Status401Unauthorized or StatusCodes.Status503ServiceUnavailable))
            {
                // 401 and 503 come from the group (the key filter and storage), not from the handler's own refusals.
                problems.Add($"{label}: its handler can answer an ApiErrorBody, but only 401 (and 503) is documented (.ProducesErrors)");
            }
        }

        return problems;
    }

    /// <summary>The endpoints that belong in the OpenAPI document.</summary>
    public static IEnumerable<RouteEndpoint> Described(IEnumerable<Endpoint> endpoints) =>
        endpoints.OfType<RouteEndpoint>().Where(e => e.Metadata.GetMetadata<IExcludeFromDescriptionMetadata>() is not { ExcludeFromDescription: true });

    /// <summary>Whether the handler's return type (e.g. <c>Task&lt;Results&lt;Ok&lt;T&gt;, JsonHttpResult&lt;ApiErrorBody&gt;&gt;&gt;</c>) includes the error body.</summary>
    private static bool CanAnswerError(MethodInfo? handler) => handler is not null && Mentions(handler.ReturnType, typeof(JsonHttpResult<ApiErrorBody>));

    private static bool Mentions(Type type, Type target) =>
        type == target || (type.IsGenericType && type.GetGenericArguments().Any(a => Mentions(a, target)));
}
