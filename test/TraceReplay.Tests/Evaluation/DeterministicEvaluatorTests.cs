using TraceReplay.Grains.Evaluation;
using TraceReplay.Tests.Fixtures;
using static TraceReplay.Tests.Evaluation.EvaluationTestData;

namespace TraceReplay.Tests.Evaluation;

/// <summary>Every deterministic evaluator on a passing and a failing example, and config validation.</summary>
[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class DeterministicEvaluatorTests
{
    [Theory]
    [InlineData("CONTAINS", """{"value":["refund","credit"]}""", "We issued a Refund today.", "No luck, sorry.")]
    [InlineData("CONTAINS", """{"values":["refund","today"],"mode":"all","case_sensitive":true}""", "refund today", "Refund today")]
    [InlineData("CONTAINS", """{"value":"competitor","negate":true}""", "We are the best.", "Try our competitor.")]
    [InlineData("REGEX", """{"pattern":"ORD-\\d{5}"}""", "Order ord-12345 shipped", "Order 12 shipped")]
    [InlineData("REGEX_MATCH", """{"pattern":"\\b\\d{3}-\\d{2}-\\d{4}\\b","negate":true}""", "No SSN here", "SSN 123-45-6789")]
    [InlineData("JSON_SCHEMA", """{"schema":{"type":"object","required":["answer"],"properties":{"answer":{"type":"string"}}}}""", """{"answer":"yes"}""", """{"answer":3}""")]
    [InlineData("EXACT_MATCH", """{"expected":"Paris"}""", " Paris ", "paris")]
    [InlineData("STARTS_WITH", """{"value":"Hello"}""", "Hello there", "Hi there")]
    [InlineData("ENDS_WITH", """{"value":"."}""", "Done.", "Done")]
    [InlineData("LENGTH", """{"min_length":2,"max_length":10}""", "short", "this is far too long")]
    [InlineData("LENGTH", """{"max_length":3,"unit":"words"}""", "three words only", "four words are here")]
    [InlineData("LEVENSHTEIN", """{"expected":"kitten","threshold":0.8}""", "sitten", "dog")]
    [InlineData("SIMILARITY", """{"expected":"the refund was processed today","threshold":0.5}""", "your refund was processed today", "the weather is sunny")]
    [InlineData("SIMILARITY", """{"expected":"John Smith","tokenizer":"char_ngram","threshold":0.3}""", "Jon Smith", "Mary Jones")]
    [InlineData("SENTIMENT", """{"target":"positive"}""", "Great news, happy to help!", "This is terrible and frustrating.")]
    [InlineData("SENTIMENT", """{"target":"neutral"}""", "The meeting is at 3pm.", "The amazing, wonderful meeting is at 3pm!")]
    [InlineData("TOXICITY", """{"blocklist":["darn"]}""", "Thanks for asking.", "Darn it, you idiot.")]
    public async Task TextEvaluatorsPassTheGoodOutputAndFailTheBadOne(string type, string config, string good, string bad)
    {
        var pass = await ScoreAsync(type, config, Agent(good));
        var fail = await ScoreAsync(type, config, Agent(bad));

        Assert.True(pass.Error is null && pass.Label == "pass", $"{type} on '{good}': {pass.Score} {pass.Reasoning} {pass.Error}");
        Assert.True(fail.Error is null && fail.Label == "fail", $"{type} on '{bad}': {fail.Score} {fail.Reasoning} {fail.Error}");
        Assert.True(pass.Score > fail.Score);
        Assert.False(string.IsNullOrWhiteSpace(fail.Reasoning));
    }

    [Theory]
    [InlineData("LATENCY", """{"max_ms":5000,"target_ms":1000}""", """{"max_ms":2000}""", 0.5)]
    [InlineData("COST", """{"max_cost_usd":0.05,"target_cost_usd":0.01}""", """{"max_cost_usd":0.01}""", 0.75)]
    [InlineData("RESPONSE_TIME_SLA", """{"tiers":[{"name":"fast","max_ms":1000,"score":1},{"name":"ok","max_ms":5000,"score":0.7}]}""", """{"tiers":[{"name":"fast","max_ms":1000,"score":1}]}""", 0.7)]
    [InlineData("TOOL_CALL_VALIDATION", "{}", """{"allowed_functions":["search"]}""", 1)]
    [InlineData("TOOL_CALL_VALIDATION", """{"required_params":{"lookup_order":["order_id"]}}""", """{"schema":{"lookup_order":{"type":"object","properties":{"order_id":{"type":"integer"}}}}}""", 1)]
    public async Task SpanBasedEvaluatorsReadTheWholeTrace(string type, string passing, string failing, double expectedScore)
    {
        // The agent runs 3000 ms, costs $0.02 and calls lookup_order {"order_id":"42"}, a tool its request declares.
        var pass = await ScoreAsync(type, passing, Agent());
        var fail = await ScoreAsync(type, failing, Agent());

        Assert.True(pass.Label == "pass", $"{type}: {pass.Score} {pass.Reasoning} {pass.Error}");
        Assert.Equal(expectedScore, pass.Score!.Value, 3);
        Assert.True(fail.Label == "fail" && fail.Score == 0, $"{type}: {fail.Score} {fail.Reasoning} {fail.Error}");
    }

    [Fact]
    public async Task AReferenceEvaluatorWithoutAnExpectedOutputRecordsAnErrorNotAScore()
    {
        var score = await ScoreAsync("LEVENSHTEIN", "{}", Agent("anything"));

        Assert.Null(score.Score);
        Assert.Null(score.Label);
        Assert.Contains("config.expected", score.Error);
    }

    [Fact]
    public async Task TheExpectedOutputGivenByTheReplayIsUsedWhenTheConfigNamesNone()
    {
        var same = await ScoreAsync("EXACT_MATCH", "{}", Agent("Your order shipped."), expected: "Your order shipped.");
        var overridden = await ScoreAsync("EXACT_MATCH", """{"expected":"Something else"}""", Agent("Your order shipped."), expected: "Your order shipped.");

        Assert.Equal("pass", same.Label);
        Assert.Equal("fail", overridden.Label);
    }

    [Fact]
    public async Task AnUnknownCostIsAnErrorNeverAZeroCost()
    {
        var trace = Agent() with { Spans = [.. Agent().Spans.Select(s => s with { Cost = null })] };

        var score = await ScoreAsync("COST", """{"max_cost_usd":1}""", trace);

        Assert.Null(score.Score);
        Assert.Contains("cost is unknown", score.Error);
    }

    [Theory]
    [InlineData("^(a|aa)+$")]
    [InlineData("^(\\.a+|a+)*$")]
    [InlineData("^(-a*|a*)*$")]
    [InlineData("^(a?){40}a{40}$")]
    [InlineData("^(a+)+$")]
    public async Task PatternsThatBacktrackExponentiallyElsewhereMatchInLinearTime(string pattern)
    {
        var config = new System.Text.Json.Nodes.JsonObject { ["pattern"] = pattern }.ToJsonString();

        var failing = await ScoreAsync("REGEX", config, Agent(new string('a', 5_000) + "!"));
        var passing = await ScoreAsync("REGEX", config, Agent(new string('a', 80)));

        Assert.Null(failing.Error);
        Assert.Equal(0, failing.Score);
        Assert.Equal(1, passing.Score);
    }

    [Theory]
    [InlineData("(a)\\1")]
    [InlineData("(?=a)a")]
    [InlineData("(?<!b)a")]
    [InlineData("(?>a+)b")]
    public void APatternThatNeedsBacktrackingIsRefusedWhenTheEvaluatorIsSaved(string pattern)
    {
        var catalog = new EvaluatorCatalog((_, _) => throw new InvalidOperationException(), Http, "gpt-4o-mini");

        var error = catalog.Validate("REGEX", new System.Text.Json.Nodes.JsonObject { ["pattern"] = pattern }.ToJsonString());

        Assert.Contains("config.pattern", error);
        Assert.Contains("not supported", error);
    }

    [Theory]
    [InlineData("(\\d{3}-)+\\d{4}")]
    [InlineData("(ab|cd)+")]
    [InlineData("^[a-z]+(\\.[a-z]+)*$")]
    [InlineData("(\\w+\\s?)*")]
    [InlineData("(.*a){20}")]
    public void RepeatedGroupsAreAccepted(string pattern)
    {
        var catalog = new EvaluatorCatalog((_, _) => throw new InvalidOperationException(), Http, "gpt-4o-mini");

        Assert.Null(catalog.Validate("REGEX", new System.Text.Json.Nodes.JsonObject { ["pattern"] = pattern }.ToJsonString()));
    }

    [Theory]
    [InlineData("CONTAINS", "{}", "config.value")]
    [InlineData("CONTAINS", """{"value":["a"],"mode":"some"}""", "config.mode")]
    [InlineData("REGEX", """{"pattern":"("}""", "config.pattern")]
    [InlineData("JSON_SCHEMA", """{"schema":"object"}""", "config.schema")]
    [InlineData("LENGTH", "{}", "config.min_length")]
    [InlineData("LATENCY", """{"max_ms":-1}""", "config.max_ms")]
    [InlineData("COST", """{"max_cost_usd":0.01,"target_cost_usd":0.02}""", "config.target_cost_usd")]
    [InlineData("RESPONSE_TIME_SLA", """{"tiers":[{"name":"fast","max_ms":100,"score":2}]}""", "config.tiers[0].score")]
    [InlineData("SENTIMENT", """{"target":"happy"}""", "config.target")]
    [InlineData("TOOL_CALL_VALIDATION", """{"schema":{"search":"object"}}""", "config.schema.search")]
    [InlineData("LLM_JUDGE", """{"scale":"1-5"}""", "config.criteria")]
    [InlineData("LLM_JUDGE", """{"criteria":"helpful","scale":"1-10"}""", "config.scale")]
    [InlineData("COMPLIANCE_CHECK", """{"rules":[]}""", "config.rules")]
    [InlineData("WORKFLOW_ADHERENCE", "{}", "config.expected_steps")]
    [InlineData("GROUNDEDNESS", """{"context_field":"docs"}""", "config.context_field")]
    [InlineData("WEBHOOK", """{"url":"ftp://x"}""", "config.url")]
    [InlineData("WEBHOOK", """{"url":"https://x.example","timeoutMs":500}""", "config.timeoutMs")]
    [InlineData("WEBHOOK", """{"url":"https://x.example","retries":6}""", "config.retries")]
    [InlineData("NOT_A_TYPE", "{}", "type must be one of")]
    public void InvalidConfigIsRefusedWithAMessageNamingTheField(string type, string config, string field)
    {
        var catalog = new EvaluatorCatalog((_, _) => throw new InvalidOperationException(), Http, "gpt-4o-mini");

        Assert.Contains(field, catalog.Validate(type, config));
    }

    [Fact]
    public void TheCatalogHasEveryTwoSignalType()
    {
        var catalog = new EvaluatorCatalog((_, _) => throw new InvalidOperationException(), Http, "gpt-4o-mini");

        Assert.Equal(
            ["BIAS_DETECTION", "COMPLIANCE_CHECK", "CONTAINS", "COST", "ENDS_WITH", "EXACT_MATCH", "FACTUAL_ACCURACY", "GROUNDEDNESS",
             "JSON_SCHEMA", "LATENCY", "LENGTH", "LEVENSHTEIN", "LLM_JUDGE", "PII_DETECTION", "PROMPT_INJECTION", "REGEX",
             "RESPONSE_TIME_SLA", "SENTIMENT", "SIMILARITY", "STARTS_WITH", "TOOL_CALL_VALIDATION", "TOXICITY", "WEBHOOK", "WORKFLOW_ADHERENCE"],
            catalog.Types.Order(StringComparer.Ordinal));
    }
}
