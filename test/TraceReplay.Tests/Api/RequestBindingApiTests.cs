using System.Net;
using System.Net.Http.Headers;
using System.Text;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Api;

/// <summary>
/// Bodies bound by the platform (replays, sweeps, backfills) answer every binding and validation failure in the
/// documented error shape, naming the field, never ASP.NET's default problem details.
/// </summary>
[Collection(ApiCollection.Name)]
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class RequestBindingApiTests(ApiFixture api)
{
    private const string Validation = "VALIDATION_ERROR";

    [Theory]
    [InlineData("/api/v1/sweeps")]
    [InlineData("/api/v1/sweeps/estimate")]
    [InlineData("/api/v1/traces/any-trace/replays")]
    [InlineData("/api/v1/evaluators/ev_any/backfill")]
    public async Task MalformedJsonIsAValidationErrorInOurShape(string path)
    {
        var message = await ApiFixture.AssertErrorAsync(await api.PostRawAsync(path, """{"filter": {"tags": ["x"]"""), HttpStatusCode.BadRequest, Validation);

        Assert.Contains("Malformed JSON", message);
    }

    [Theory]
    [InlineData("""{"filter": {"tags": ["x"]}, "maxInFlight": "many"}""", "maxInFlight must be a whole number.")]
    [InlineData("""{"filter": {"limit": "ten"}}""", "filter.limit must be a whole number.")]
    [InlineData("""{"filter": {"tags": [1, 2]}}""", "filter.tags must be an array of strings.")]
    [InlineData("""{"filter": "everything"}""", "filter must be a JSON object.")]
    [InlineData("""{"filter": {"tags": ["x"]}, "scoreOriginals": "yes"}""", "scoreOriginals must be true or false.")]
    [InlineData("""{"filter": {"tags": ["x"]}, "budgetUsd": "cheap"}""", "budgetUsd must be a number.")]
    [InlineData("""{"filter": {"startDate": "last tuesday"}}""", "filter.startDate must be an ISO 8601 timestamp.")]
    [InlineData("""{"filter": {"tags": ["x"]}, "overrides": {"modelParameters": 3}}""", "overrides.modelParameters must be a JSON object.")]
    [InlineData("""[1, 2]""", "The body must be a JSON object.")]
    public async Task AValueOfTheWrongTypeIsRefusedNamingTheFieldAndTheKindOfValueItTakes(string body, string expected)
    {
        var message = await ApiFixture.AssertErrorAsync(await api.PostRawAsync("/api/v1/sweeps", body), HttpStatusCode.BadRequest, Validation);

        Assert.Equal(expected, message);
    }

    [Theory]
    [InlineData("/api/v1/sweeps", """{"filter": {"tags": ["x"]}, "maxInFlight": "4"}""", "maxInFlight must be a whole number.")]
    [InlineData("/api/v1/sweeps", """{"filter": {"tags": ["x"]}, "budgetUsd": "1.5"}""", "budgetUsd must be a number.")]
    [InlineData("/api/v1/sweeps", """{"filter": {"tags": ["x"]}, "regressionThreshold": "0.2"}""", "regressionThreshold must be a number.")]
    [InlineData("/api/v1/sweeps/estimate", """{"filter": {"tags": ["x"], "limit": "5"}}""", "filter.limit must be a whole number.")]
    [InlineData("/api/v1/evaluators/ev_any/backfill", """{"filter": {"tags": ["x"], "limit": "5"}}""", "filter.limit must be a whole number.")]
    // A replay body has no typed number: its modelParameters are checked by ModelParameterRules, which refuses strings.
    public async Task ANumberWrittenAsAStringIsRefusedNamingTheField(string path, string body, string expected)
    {
        var message = await ApiFixture.AssertErrorAsync(await api.PostRawAsync(path, body), HttpStatusCode.BadRequest, Validation);

        Assert.Equal(expected, message);
    }

    [Theory]
    [InlineData("""{"modelParameters": {"\ud800": 1}}""")]
    [InlineData("""{"modelParameters": {"stop": "\ud800"}}""")]
    public async Task ModelParametersThatAreNotValidUnicodeAreAValidationError(string body)
    {
        var message = await ApiFixture.AssertErrorAsync(await api.PostRawAsync("/api/v1/traces/any-trace/replays", body), HttpStatusCode.BadRequest, Validation);

        Assert.StartsWith("modelParameters", message);
    }

    [Theory]
    [InlineData("""{"filter": {"tags": ["x"]}, "overrides": {"temperature": 0}}""", "overrides.temperature")]
    [InlineData("""{"filter": {"tags": ["x"], "owner": "me"}}""", "filter.owner")]
    [InlineData("""{"filter": {"tags": ["x"]}, "speed": "fast"}""", "speed")]
    public async Task AnUnknownFieldIsRefusedNamingItAndTheFieldsExpected(string body, string field)
    {
        var message = await ApiFixture.AssertErrorAsync(await api.PostRawAsync("/api/v1/sweeps", body), HttpStatusCode.BadRequest, Validation);

        Assert.StartsWith(field, message);
        Assert.Contains("expected", message);
    }

    [Fact]
    public async Task EveryProblemOfABodyIsNamedInOneAnswer()
    {
        var message = await ApiFixture.AssertErrorAsync(
            await api.PostRawAsync("/api/v1/sweeps", """{"filter": {"tags": ["x"]}, "maxInFlight": 0, "budgetUsd": -1}"""), HttpStatusCode.BadRequest, Validation);

        Assert.Contains("maxInFlight must be a whole number", message);
        Assert.Contains("budgetUsd must be a positive number", message);
    }

    [Fact]
    public async Task AReplayOfAnUnknownModeNamesTheField()
    {
        var message = await ApiFixture.AssertErrorAsync(
            await api.PostRawAsync("/api/v1/traces/any-trace/replays", """{"mode": "parallel"}"""), HttpStatusCode.BadRequest, Validation);

        Assert.Equal("mode must be \"isolated\" or \"chained\".", message);
    }

    [Fact]
    public async Task AStringThatIsNotValidUnicodeIsAValidationError()
    {
        var message = await ApiFixture.AssertErrorAsync(
            await api.PostRawAsync("/api/v1/sweeps", """{"name": "\ud800", "filter": {"tags": ["x"]}}"""), HttpStatusCode.BadRequest, Validation);

        Assert.Contains("name", message);
    }

    [Fact]
    public async Task ASweepBodyOverTheLimitIsPayloadTooLargeInOurShape()
    {
        var body = $"{{\"name\": \"{new string('x', (int)ApiFixture.MaxBodyBytes)}\", \"filter\": {{\"tags\": [\"x\"]}}}}";

        var message = await ApiFixture.AssertErrorAsync(await api.PostRawAsync("/api/v1/sweeps", body), HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");

        Assert.Contains(ApiFixture.MaxBodyBytes.ToString(), message);
    }

    [Fact]
    public async Task ASweepBodyOverTheLimitWithoutAContentLengthIsPayloadTooLarge()
    {
        var body = $"{{\"name\": \"{new string('x', (int)ApiFixture.MaxBodyBytes)}\", \"filter\": {{\"tags\": [\"x\"]}}}}";
        var content = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(body)));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        using var request = new HttpRequestMessage(HttpMethod.Post, "/api/v1/sweeps") { Content = content };
        request.Headers.TransferEncodingChunked = true;

        await ApiFixture.AssertErrorAsync(await api.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge, "PAYLOAD_TOO_LARGE");
    }

    [Fact]
    public async Task ASweepWithoutABodyIsAValidationError()
    {
        var message = await ApiFixture.AssertErrorAsync(await api.Client.PostAsync("/api/v1/sweeps", null), HttpStatusCode.BadRequest, Validation);

        Assert.Contains("body is required", message);
    }

    [Fact]
    public async Task ABodyThatIsNotJsonIsRefusedInOurShape()
    {
        var response = await api.Client.PostAsync("/api/v1/sweeps", new StringContent("""{"filter": {"tags": ["x"]}}""", Encoding.UTF8, "text/plain"));

        var message = await ApiFixture.AssertErrorAsync(response, HttpStatusCode.UnsupportedMediaType, Validation);
        Assert.Contains("application/json", message);
    }
}
