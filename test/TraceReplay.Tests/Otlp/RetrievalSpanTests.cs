using System.Net;
using System.Text.Json.Nodes;
using TraceReplay.Api.Otlp.Proto;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Otlp.OtlpPayloads;

namespace TraceReplay.Tests.Otlp;

/// <summary>Retrieval and embedding spans of each convention keep their query, documents, model and usage.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ApiCollection.Name)]
public sealed class RetrievalSpanTests(ApiFixture api)
{
    [Fact]
    public async Task RetrievalSpansCarryTheirQueryAndDocumentsAndEmbeddingsCountInTheTotals()
    {
        var traceId = NewTraceId();
        var root = Span(traceId, 0, null, "rag", 0, 3000, Attribute("openinference.span.kind", "CHAIN"));
        var genAi = Span(traceId, 1, 0, "retrieval", 10, 100,
            Attribute("gen_ai.operation.name", "retrieval"),
            Attribute("gen_ai.retrieval.query.text", "refund policy"),
            Attribute("gen_ai.retrieval.documents", """[{"id":"doc_1","score":0.9}]"""));
        var openInference = Span(traceId, 2, 0, "retriever", 100, 200,
            Attribute("openinference.span.kind", "RETRIEVER"),
            Attribute("input.value", "shipping times"),
            Attribute("retrieval.documents.0.document.id", "kb-7"),
            Attribute("retrieval.documents.0.document.content", "Orders ship in 2 days."),
            Attribute("retrieval.documents.0.document.score", 0.8));
        var chroma = Span(traceId, 3, 0, "chroma.query", 200, 300, Attribute("db.system", "chroma"));
        chroma.Events.Add(new Span.Types.Event
        {
            Name = "db.query.result",
            TimeUnixNano = chroma.EndTimeUnixNano,
            Attributes = { Attribute("db.query.result.id", "c-1"), Attribute("db.query.result.document", "Returns within 30 days."), Attribute("db.query.result.distance", 0.2) },
        });
        var embedding = Span(traceId, 4, 0, "embeddings text-embedding-3-small", 300, 400,
            Attribute("gen_ai.operation.name", "embeddings"),
            Attribute("gen_ai.request.model", "text-embedding-3-small"),
            Attribute("gen_ai.usage.input_tokens", 12));
        var chat = Span(traceId, 5, 0, "chat gpt-4o-mini", 400, 900,
            Attribute("gen_ai.operation.name", "chat"),
            Attribute("gen_ai.request.model", "gpt-4o-mini"),
            Attribute("gen_ai.input.messages", """[{"role":"user","parts":[{"type":"text","content":"Refunds?"}]}]"""),
            Attribute("gen_ai.usage.input_tokens", 30),
            Attribute("gen_ai.usage.output_tokens", 5));

        Assert.Equal(HttpStatusCode.OK, (await api.Client.PostAsync("/v1/traces", Content(Request(root, genAi, openInference, chroma, embedding, chat)))).StatusCode);

        var trace = await api.GetDataAsync($"/api/v1/traces/{Hex(traceId)}");
        JsonNode SpanNamed(string name) => trace["spans"]!.AsArray().Single(s => (string?)s!["name"] == name)!;
        Assert.Equal("RETRIEVAL", (string?)SpanNamed("retrieval")["type"]);
        Assert.Equal("refund policy", (string?)SpanNamed("retrieval")["input"]);
        Assert.Equal("doc_1", (string?)SpanNamed("retrieval")["output"]![0]!["id"]);
        Assert.Equal("shipping times", (string?)SpanNamed("retriever")["input"]);
        Assert.Equal("Orders ship in 2 days.", (string?)SpanNamed("retriever")["output"]![0]!["content"]);
        Assert.Equal("kb-7", (string?)SpanNamed("retriever")["output"]![0]!["id"]);
        Assert.Null(SpanNamed("retriever")["metadata"]!["retrieval.documents.0.document.content"]);
        Assert.Equal("RETRIEVAL", (string?)SpanNamed("chroma.query")["type"]);
        Assert.Equal("Returns within 30 days.", (string?)SpanNamed("chroma.query")["output"]![0]!["document"]);
        var embedded = SpanNamed("embeddings text-embedding-3-small");
        Assert.Equal("RETRIEVAL", (string?)embedded["type"]);
        Assert.Equal("text-embedding-3-small", (string?)embedded["model"]);
        Assert.Equal(12, (int)embedded["usage"]!["promptTokens"]!);
        Assert.Equal(12 + 30 + 5, (long)trace["totalTokens"]!);
    }
}
