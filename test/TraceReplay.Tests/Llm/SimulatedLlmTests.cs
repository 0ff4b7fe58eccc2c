using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using TraceReplay.Grains;
using TraceReplay.Grains.Llm;
using TraceReplay.Grains.Llm.Simulation;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class SimulatedLlmTests
{
    private const string Question = """
        {"model":"gpt-4o","messages":[
          {"role":"system","content":"You are a helpful assistant for a bakery."},
          {"role":"user","content":"How should I price sourdough bread for wholesale customers?"}
        ],"temperature":0.2}
        """;

    private static SimulatedLlm Simulator(TimeSpan? latency = null) =>
        new(Options.Create(new LlmOptions { Simulator = { Latency = latency ?? TimeSpan.Zero } }), TimeProvider.System);

    private static Task<LlmCallResult> Complete(string body, string model = "gpt-4o") =>
        Simulator().CompleteAsync(new LlmCallRequest(model, body));

    private static string Content(LlmCallResult result)
    {
        Assert.True(result.Succeeded, result.ErrorMessage);
        using var message = JsonDocument.Parse(result.MessageJson!);
        Assert.Equal("assistant", message.RootElement.GetProperty("role").GetString());
        return message.RootElement.GetProperty("content").GetString()!;
    }

    [Fact]
    public async Task SameRequestToTheSameModelGivesTheSameAnswer()
    {
        var first = await Complete(Question);
        var second = await Simulator().CompleteAsync(new LlmCallRequest("gpt-4o", Question));

        Assert.Equal(first, second);
    }

    [Fact]
    public async Task DifferentModelsGiveDifferentAnswersToTheSameRequest()
    {
        var answers = new List<string>();
        foreach (var model in new[] { "gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet-20241022", "gemini-1.5-flash" })
        {
            answers.Add(Content(await Complete(Question, model)));
        }

        Assert.Equal(answers.Count, answers.Distinct().Count());
    }

    [Fact]
    public async Task DifferentQuestionsGiveDifferentAnswers()
    {
        var other = Question.Replace("sourdough bread", "croissants", StringComparison.Ordinal);

        Assert.NotEqual(Content(await Complete(Question)), Content(await Complete(other)));
    }

    [Fact]
    public async Task AnswerEchoesKeyWordsOfTheLastUserMessage()
    {
        var content = Content(await Complete(Question));

        Assert.Contains("sourdough", content, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("wholesale", content, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task ResultIsMarkedSimulatedAndNamesTheRequestedModel()
    {
        var result = await Simulator(TimeSpan.Zero).CompleteAsync(new LlmCallRequest("claude-3-5-haiku-20241022", Question));

        Assert.True(result.Succeeded);
        Assert.True(result.Simulated);
        Assert.Equal("claude-3-5-haiku-20241022", result.ResponseModel);
        Assert.Equal(0, result.LatencyMs);
        Assert.Null(result.ErrorStatus);
    }

    [Fact]
    public async Task ResultReportsTheConfiguredLatency()
    {
        var time = new FakeTimeProvider();
        var simulator = new SimulatedLlm(
            Options.Create(new LlmOptions { Simulator = { Latency = TimeSpan.FromMilliseconds(250) } }), time);

        var call = simulator.CompleteAsync(new LlmCallRequest("gpt-4o", Question));
        Assert.False(call.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(250));
        var result = await call;

        Assert.Equal(250, result.LatencyMs);
    }

    [Fact]
    public async Task TokenCountsMatchTheTextLength()
    {
        var result = await Complete(Question);
        var content = Content(result);

        // About four characters of English per token; the prompt adds a few framing tokens per message.
        Assert.InRange(result.CompletionTokens, content.Length / 8, content.Length / 2);
        Assert.Equal(TokenCounter.Count(content), result.CompletionTokens);
        var promptText = "You are a helpful assistant for a bakery.How should I price sourdough bread for wholesale customers?";
        Assert.InRange(result.PromptTokens, TokenCounter.Count(promptText) + 6, TokenCounter.Count(promptText) + 20);
    }

    [Fact]
    public async Task LongerPromptsCountMoreTokens()
    {
        var longer = Question.Replace(
            "for a bakery.", "for a bakery. " + string.Concat(Enumerable.Repeat("Answer carefully and precisely. ", 20)),
            StringComparison.Ordinal);

        var shortResult = await Complete(Question);
        var longResult = await Complete(longer);

        Assert.InRange(longResult.PromptTokens - shortResult.PromptTokens, 80, 160);
    }

    [Theory]
    [InlineData("max_completion_tokens")]
    [InlineData("max_tokens")]
    public async Task AnswerIsCutToTheMaximumTokens(string parameter)
    {
        var body = Question.Replace("\"temperature\":0.2", $"\"{parameter}\":5", StringComparison.Ordinal);

        var full = Content(await Complete(Question));
        var result = await Complete(body);
        var cut = Content(result);

        Assert.Equal(5, result.CompletionTokens);
        Assert.Equal(5, TokenCounter.Count(cut));
        Assert.StartsWith(cut, full, StringComparison.Ordinal);
        Assert.True(cut.Length < full.Length);
    }

    [Fact]
    public async Task JsonObjectResponseFormatGivesAParseableJsonObject()
    {
        var body = Question.Replace("\"temperature\":0.2", "\"response_format\":{\"type\":\"json_object\"}", StringComparison.Ordinal);

        var content = Content(await Complete(body));

        using var answer = JsonDocument.Parse(content);
        Assert.Equal(JsonValueKind.Object, answer.RootElement.ValueKind);
    }

    [Fact]
    public async Task JsonSchemaResponseFormatGivesAnObjectWithTheSchemaProperties()
    {
        var body = """
            {"messages":[{"role":"user","content":"Classify this review: the crust was perfect."}],
             "response_format":{"type":"json_schema","json_schema":{"name":"review","strict":true,"schema":{
               "type":"object",
               "properties":{
                 "sentiment":{"type":"string","enum":["positive","negative","neutral"]},
                 "score":{"type":"integer","minimum":1,"maximum":5},
                 "summary":{"type":"string"},
                 "tags":{"type":"array","items":{"type":"string"}},
                 "details":{"type":"object","properties":{"confident":{"type":"boolean"},"weight":{"type":"number"}}}
               },
               "required":["sentiment","score","summary","tags","details"],"additionalProperties":false}}}}
            """;

        using var answer = JsonDocument.Parse(Content(await Complete(body)));
        var root = answer.RootElement;

        Assert.Contains(root.GetProperty("sentiment").GetString(), new[] { "positive", "negative", "neutral" });
        Assert.InRange(root.GetProperty("score").GetInt32(), 1, 5);
        Assert.Equal(JsonValueKind.String, root.GetProperty("summary").ValueKind);
        Assert.NotEqual(0, root.GetProperty("tags").GetArrayLength());
        Assert.Contains(root.GetProperty("details").GetProperty("confident").ValueKind, new[] { JsonValueKind.True, JsonValueKind.False });
        Assert.Equal(JsonValueKind.Number, root.GetProperty("details").GetProperty("weight").ValueKind);
    }

    [Fact]
    public async Task ToolCallsToolResultsAndContentPartsAreAccepted()
    {
        var body = """
            {"model":"gpt-4o","messages":[
              {"role":"system","content":[{"type":"text","text":"You answer questions about the weather."}]},
              {"role":"user","content":[
                {"type":"text","text":"What is the weather in Lisbon tomorrow?"},
                {"type":"image_url","image_url":{"url":"https://example.com/sky.png"}}]},
              {"role":"assistant","content":null,"tool_calls":[
                {"id":"call_1","type":"function","function":{"name":"get_forecast","arguments":"{\"city\":\"Lisbon\"}"}}]},
              {"role":"tool","tool_call_id":"call_1","content":"{\"high\":24,\"sky\":\"clear\"}"}
             ],
             "tools":[{"type":"function","function":{"name":"get_forecast","description":"Forecast for a city",
               "parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]}
            """;

        var result = await Complete(body);
        var content = Content(result);

        Assert.Contains("Lisbon", content, StringComparison.Ordinal);
        Assert.True(result.PromptTokens > 85 + TokenCounter.Count("What is the weather in Lisbon tomorrow?"));
    }

    [Theory]
    [InlineData("not json at all")]
    [InlineData("{\"messages\":[")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"model\":\"gpt-4o\"}")]
    [InlineData("{\"messages\":\"hello\"}")]
    [InlineData("{\"messages\":[42]}")]
    [InlineData("{\"messages\":[{\"content\":\"no role\"}]}")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":7}]}")]
    [InlineData("{\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}],\"max_tokens\":0}")]
    [InlineData("")]
    public async Task MalformedRequestIsABadRequestWithAMessage(string body)
    {
        var result = await Complete(body);

        Assert.False(result.Succeeded);
        Assert.Equal(400, result.ErrorStatus);
        Assert.False(string.IsNullOrWhiteSpace(result.ErrorMessage));
        Assert.Null(result.MessageJson);
    }

    [Fact]
    public async Task ConversationWithoutAUserMessageStillGetsAnAnswer()
    {
        var result = await Complete("""{"messages":[{"role":"system","content":"Say something."}]}""");

        Assert.NotEmpty(Content(result));
    }

    [Fact]
    public async Task AnswersForAFixedSetOfRequestsNeverChange()
    {
        // Pinned outputs: the same request to the same model must give the same answer in every version, so a recorded
        // simulated replay stays reproducible. Covers prose, json_object, a json_schema and a tool conversation.
        var bodies = new[]
        {
            Question,
            Question.Replace("\"temperature\":0.2", "\"response_format\":{\"type\":\"json_object\"}", StringComparison.Ordinal),
            Question.Replace("\"temperature\":0.2", "\"max_tokens\":7", StringComparison.Ordinal),
            """
            {"messages":[{"role":"user","content":"Classify this review: the crust was perfect."}],
             "response_format":{"type":"json_schema","json_schema":{"name":"r","schema":{"type":"object","properties":{
               "sentiment":{"enum":["positive","negative","neutral"]},"score":{"type":"integer","minimum":1,"maximum":5},
               "summary":{"type":"string"},"tags":{"type":"array","items":{"type":"string"}},
               "details":{"type":"object","properties":{"ok":{"type":"boolean"},"w":{"type":"number"},"n":{"type":["null","string"]}}}}}}}}
            """,
            """
            {"messages":[{"role":"user","content":[{"type":"text","text":"Weather in Lisbon tomorrow?"},{"type":"image_url","image_url":{"url":"x"}}]},
              {"role":"assistant","content":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"forecast","arguments":"{\"city\":\"Lisbon\"}"}}]},
              {"role":"tool","tool_call_id":"c","name":"forecast","content":"{\"high\":24}"}],
             "tools":[{"type":"function","function":{"name":"forecast","parameters":{"type":"object"}}}]}
            """,
        };
        var transcript = new System.Text.StringBuilder();
        foreach (var model in new[] { "gpt-4o", "claude-3-5-haiku-20241022" })
        {
            foreach (var body in bodies)
            {
                var result = await Complete(body, model);
                transcript.Append(result.MessageJson).Append('|').Append(result.PromptTokens).Append('|').Append(result.CompletionTokens).Append('\n');
            }
        }

        var digest = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(transcript.ToString())));
        Assert.True(digest == "9d15489fef7c2b8ddff71cba2889f570835e65d27e456ed43df4fbbcf18cf356", $"{digest}\n{transcript}");
    }

    [Fact]
    public void TokenCounterCountsWithO200kBase()
    {
        Assert.Equal(0, TokenCounter.Count(null));
        Assert.Equal(0, TokenCounter.Count(string.Empty));
        Assert.Equal(2, TokenCounter.Count("Hello world"));
        Assert.Equal("Hello", TokenCounter.Truncate("Hello world", 1));
        Assert.Equal("Hello world", TokenCounter.Truncate("Hello world", 10));
    }
}
