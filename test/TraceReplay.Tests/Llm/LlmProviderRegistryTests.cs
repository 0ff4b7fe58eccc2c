using TraceReplay.Grains.Llm;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Llm;

[Trait(TestCategory.Name, TestCategory.Unit)]
public sealed class LlmProviderRegistryTests
{
    [Fact]
    public void AConfiguredProviderServesItsModelsThroughItsBaseUrl()
    {
        var registry = LlmTestContext.Registry(
            LlmTestContext.ProviderOptions("http://localhost:8000/v1/", "vllm", null, "llama-3-8b", "qwen-7b"));

        var route = registry.Find("llama-3-8b");

        Assert.Equal(new LlmRoute("vllm", false, new Uri("http://localhost:8000/v1")), route);
        Assert.True(registry.IsServed("QWEN-7B"));
        Assert.Equal(["llama-3-8b", "qwen-7b"], registry.ServedModels);
    }

    [Fact]
    public void TheSimulatorIsOffWhenAProviderIsConfigured()
    {
        var registry = LlmTestContext.Registry(LlmTestContext.ProviderOptions("http://localhost:8000/v1"));

        Assert.False(registry.SimulatorActive);
        Assert.Null(registry.Find("gpt-4o"));
        Assert.False(registry.IsServed("gpt-4o-mini"));
    }

    [Fact]
    public void TheSimulatorServesEveryPricedModelWhenNoProviderIsConfigured()
    {
        var registry = LlmTestContext.Registry(new LlmOptions());

        Assert.True(registry.SimulatorActive);
        Assert.Equal(new LlmRoute("simulator", true, null, LlmProviderKinds.Simulator), registry.Find("gpt-4o"));
        Assert.Equal(["gpt-4o", "gpt-4o-mini"], registry.ServedModels);
        Assert.Null(registry.Find("llama-3-8b"));
    }

    [Fact]
    public void TheSimulatorNeverTakesAModelAProviderServes()
    {
        var options = LlmTestContext.ProviderOptions("http://localhost:8000/v1", "local", null, "gpt-4o");
        options.Simulator.Enabled = true;

        var registry = LlmTestContext.Registry(options);

        Assert.True(registry.SimulatorActive);
        Assert.Equal("local", registry.Find("gpt-4o")?.ProviderName);
        Assert.False(registry.Find("gpt-4o")?.Simulated);
        Assert.True(registry.Find("gpt-4o-mini")?.Simulated);
    }

    [Fact]
    public void TheSimulatorCanBeTurnedOffEvenWithoutProviders()
    {
        var options = new LlmOptions();
        options.Simulator.Enabled = false;

        var registry = LlmTestContext.Registry(options);

        Assert.False(registry.SimulatorActive);
        Assert.Empty(registry.ServedModels);
    }

    [Fact]
    public void TheOpenAiApiKeyVariableAddsTheDefaultProviderForThePriceTablesOpenAiModels()
    {
        var prices = new ModelPriceTable(
            [new ModelPrice("gpt-4o", "openai", 2.5m, 10m), new ModelPrice("claude-x", "anthropic", 3m, 15m)],
            new Dictionary<string, ModelPriceOverride>());

        var registry = LlmTestContext.Registry(new LlmOptions(), prices, new Dictionary<string, string> { ["OPENAI_API_KEY"] = "sk-test-0123456789" });

        Assert.Equal(new LlmRoute("openai", false, new Uri("https://api.openai.com/v1")), registry.Find("gpt-4o"));
        Assert.False(registry.SimulatorActive);
        Assert.Null(registry.Find("claude-x"));
    }

    [Fact]
    public void TheOpenAiBaseUrlVariableAloneAddsTheDefaultProviderAtThatUrl()
    {
        var registry = LlmTestContext.Registry(
            new LlmOptions(), environment: new Dictionary<string, string> { ["OPENAI_BASE_URL"] = "http://127.0.0.1:11434/v1" });

        Assert.Equal(new Uri("http://127.0.0.1:11434/v1"), registry.Find("gpt-4o-mini")?.BaseUrl);
        Assert.Equal("openai", registry.Find("gpt-4o-mini")?.ProviderName);
    }

    [Fact]
    public void AConfiguredOpenAiProviderServesOnlyItsListedModels()
    {
        var options = new LlmOptions();
        options.Providers["openai"] = new LlmProviderOptions { Models = ["gpt-4o"] };

        var registry = LlmTestContext.Registry(options, environment: new Dictionary<string, string> { ["OPENAI_API_KEY"] = "sk-test-0123456789" });

        Assert.Equal(["gpt-4o"], registry.ServedModels);
        Assert.Equal(new Uri("https://api.openai.com/v1"), registry.Find("gpt-4o")?.BaseUrl);
    }

    [Fact]
    public void AnUnknownProviderKindIsRefusedNamingTheKindsThatExist()
    {
        var options = LlmTestContext.ProviderOptions("http://localhost:8000/v1", "odd", null, "m");
        options.Providers["odd"].Kind = "gemini-native";

        var error = Assert.Throws<InvalidOperationException>(() => LlmTestContext.Registry(options));

        Assert.Contains("openai, azure-openai or anthropic", error.Message);
    }

    [Fact]
    public void AnAzureProviderNeedsItsEndpointAndServesItsDeploymentsModels()
    {
        var options = new LlmOptions();
        options.Providers["azure"] = new LlmProviderOptions { Kind = "azure-openai", Deployments = { ["gpt-4o"] = "prod-4o" } };
        Assert.Contains("needs a BaseUrl", Assert.Throws<InvalidOperationException>(() => LlmTestContext.Registry(options)).Message);

        options.Providers["azure"].BaseUrl = "https://example.openai.azure.com";
        var route = LlmTestContext.Registry(options).Find("gpt-4o");

        Assert.Equal(new LlmRoute("azure", false, new Uri("https://example.openai.azure.com"), LlmProviderKinds.AzureOpenAi, "prod-4o"), route);
    }

    [Fact]
    public void TheCatalogListsEveryPricedModelAndEveryUnpricedServedModel()
    {
        var registry = LlmTestContext.Registry(
            LlmTestContext.ProviderOptions("http://localhost:8000/v1", "vllm", null, "gpt-4o", "llama-3-8b"));

        Assert.Equal(
            [
                new ModelCatalogEntry("gpt-4o", "openai", 1m, 2m, true, "vllm", false, "openai"),
                new ModelCatalogEntry("gpt-4o-mini", "openai", 1m, 2m, false, null, false),
                new ModelCatalogEntry("llama-3-8b", "vllm", null, null, true, "vllm", false, "openai"),
            ],
            registry.Catalog);
    }

    [Fact]
    public void NoPublicMemberShowsAConfiguredKey()
    {
        const string key = "sk-secret-do-not-show-0123456789";
        var options = LlmTestContext.ProviderOptions("http://localhost:8000/v1");
        options.Providers["local"].ApiKey = key;

        var registry = LlmTestContext.Registry(options);

        Assert.Equal(key, registry.ResolveApiKey("local"));
        var shown = string.Join("\n", registry.Catalog.Select(e => e.ToString()).Append(registry.Find("local-model")!.ToString()).Append(registry.ToString()));
        Assert.DoesNotContain(key, shown, StringComparison.Ordinal);
    }

    [Fact]
    public void AnInvalidBaseUrlFailsAtStartWithTheProviderName()
    {
        var error = Assert.Throws<InvalidOperationException>(
            () => LlmTestContext.Registry(LlmTestContext.ProviderOptions("localhost:8000", "broken")));

        Assert.Contains("broken", error.Message, StringComparison.Ordinal);
    }
}
