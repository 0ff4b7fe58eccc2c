using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TraceReplay.Tests.Fakes;
using static Microsoft.Playwright.Assertions;

namespace TraceReplay.Tests.Dashboard;

/// <summary>The dashboard in real Chromium against the real API host over HTTP.</summary>
[Collection(DashboardCollection.Name)]
public sealed class DashboardTests(DashboardFixture dashboard)
{
    private const string DemoTrace = "demo-support-agent";

    [ChromiumFact]
    public async Task SignInPrefillsTheLocalKeyAndTheTraceListFiltersAndSelectsTwoToCompare()
    {
        using (var forwarded = new HttpRequestMessage(HttpMethod.Get, "/dashboard/config"))
        {
            // Loopback on a real socket, but through a proxy: the key stays hidden.
            forwarded.Headers.Add("X-Forwarded-For", "203.0.113.9");
            var config = System.Text.Json.Nodes.JsonNode.Parse(await (await dashboard.Api.SendAsync(forwarded)).Content.ReadAsStringAsync());
            Assert.Null((string?)config?["data"]?["apiKey"]);
        }

        var page = await dashboard.SignedInPageAsync();
        await RunAsync(page, "traces", async () =>
        {
            var rows = page.Locator("tbody tr");
            await Expect(rows.Filter(new() { HasText = DemoTrace })).ToHaveCountAsync(1);
            await Expect(rows.Filter(new() { HasText = "demo-summarizer" })).ToHaveCountAsync(1);
            await DashboardFixture.ScreenshotAsync(page, "01-traces");

            await page.GetByLabel("Tags (all of)").FillAsync("production");
            await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("tags=production"));
            await Expect(rows.Filter(new() { HasText = DemoTrace })).ToHaveCountAsync(1);
            await Expect(rows.Filter(new() { HasText = "demo-summarizer" })).ToHaveCountAsync(0);

            var compare = page.GetByRole(AriaRole.Button, new() { Name = "Compare selected" });
            await Expect(compare).ToBeDisabledAsync();
            await page.GetByLabel($"Select support-agent ({DemoTrace})").CheckAsync();
            await page.GetByLabel("Select ticket-classifier (demo-classifier)").CheckAsync();
            await Expect(compare).ToBeEnabledAsync();
            await compare.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"#/compare/{DemoTrace}/demo-classifier$"));

            // Paging follows nextCursor: one trace per page here, newest first.
            await page.GotoAsync($"{dashboard.BaseUrl}/#/traces?tags=demo&limit=1");
            var next = page.GetByRole(AriaRole.Button, new() { Name = "Next →" });
            var previous = page.GetByRole(AriaRole.Button, new() { Name = "← Previous" });
            await Expect(rows).ToHaveCountAsync(1);
            var first = await rows.First.GetAttributeAsync("data-trace-id");
            await Expect(previous).ToBeDisabledAsync();
            await next.ClickAsync();
            await Expect(page.GetByText("Page 2")).ToBeVisibleAsync();
            await Expect(rows).ToHaveCountAsync(1);
            Assert.NotEqual(first, await rows.First.GetAttributeAsync("data-trace-id"));
            await previous.ClickAsync();
            await Expect(rows.First).ToHaveAttributeAsync("data-trace-id", first!);
        });
    }

    [ChromiumFact]
    public async Task TraceDetailShowsTheSpanTreeAndRendersChatMessagesAsAConversation()
    {
        var page = await dashboard.SignedInPageAsync();
        await RunAsync(page, "trace-detail", async () =>
        {
            await page.GotoAsync($"{dashboard.BaseUrl}/#/traces/{DemoTrace}");
            var tree = page.GetByRole(AriaRole.Navigation, new() { Name = "Span tree" });
            await Expect(tree.GetByRole(AriaRole.Button)).ToHaveCountAsync(5);
            await Expect(tree.GetByLabel("TOOL")).ToHaveCountAsync(1);

            await tree.GetByRole(AriaRole.Button, new() { Name = "write-answer" }).ClickAsync();
            var detail = page.GetByRole(AriaRole.Region, new() { Name = "Span detail" });
            await Expect(detail).ToContainTextAsync("gpt-4o");
            await Expect(detail).ToContainTextAsync("311 in · 52 out");
            await Expect(detail.Locator(".msg-tool")).ToContainTextAsync("delivered");
            await Expect(detail.Locator(".tool-call").First).ToContainTextAsync("lookup_order");
            await Expect(detail.Locator(".msg-user").First).ToContainTextAsync("arrived damaged");
            await Expect(page.GetByText("This trace has not been replayed yet").Or(page.Locator("table.history"))).ToBeVisibleAsync();
            await DashboardFixture.ScreenshotAsync(page, "02-trace-detail");
        });
    }

    [ChromiumFact]
    public async Task ReplayWithAnotherModelAndTemperatureZeroGoesLiveToCompletedAndLinksItsTrace()
    {
        var page = await dashboard.SignedInPageAsync();
        dashboard.Llm.Delay = TimeSpan.FromMilliseconds(900);   // long enough to see RUNNING between polls
        try
        {
            await RunReplayScenarioAsync(page);
        }
        finally
        {
            dashboard.Llm.Reset();
        }
    }

    private async Task RunReplayScenarioAsync(IPage page)
    {
        await RunAsync(page, "replay", async () =>
        {
            await page.GotoAsync($"{dashboard.BaseUrl}/#/traces/{DemoTrace}");
            await page.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();

            var model = page.GetByLabel("Model", new() { Exact = true });
            await Expect(model.Locator("option[value='gpt-4o-mini']")).ToBeEnabledAsync();
            await Expect(model.Locator("option[value='claude-3-5-haiku-20241022'], option:disabled").First).ToBeDisabledAsync();
            await Expect(page.GetByLabel("Prompt template version").Locator("option")).ToContainTextAsync(["Keep recorded (support-system v1)", "support-system v1", "support-system v2"]);
            var temperature = page.GetByLabel("Temperature");
            await Expect(temperature).ToHaveValueAsync("0.7");
            await Expect(page.GetByLabel("Max tokens")).ToHaveValueAsync("400");
            await DashboardFixture.ScreenshotAsync(page, "03-replay-form");

            await model.SelectOptionAsync("gpt-4o-mini");
            await temperature.FillAsync("0");
            await page.EvaluateAsync("window.__sameDocument = true");
            await page.GetByRole(AriaRole.Button, new() { Name = "Start replay" }).ClickAsync();

            var badge = page.Locator("#replay-status-badge");
            await Expect(badge).ToHaveTextAsync(new Regex("^(PENDING|RUNNING)$"));
            await Expect(badge).ToHaveTextAsync("RUNNING");
            await DashboardFixture.ScreenshotAsync(page, "04-replay-running");
            await Expect(badge).ToHaveTextAsync("COMPLETED");
            Assert.True(await page.EvaluateAsync<bool>("window.__sameDocument === true"), "the page reloaded");

            var sent = dashboard.Llm.Requests.TakeLast(2).Select(r => r.Body).ToList();
            Assert.All(sent, body => Assert.Equal("gpt-4o-mini", (string?)body["model"]));
            Assert.All(sent, body => Assert.Equal(0, (double?)body["temperature"]));

            var history = page.Locator("table.history tbody tr").First;
            await Expect(history).ToContainTextAsync("model → gpt-4o-mini");
            await Expect(history).ToContainTextAsync("temperature = 0");
            await Expect(history).ToContainTextAsync("COMPLETED");
            await DashboardFixture.ScreenshotAsync(page, "05-replay-completed");

            await page.Locator("#replay-trace-link").ClickAsync();
            await Expect(page.Locator(".lineage")).ToContainTextAsync($"Replay of {DemoTrace}");
            await page.GetByRole(AriaRole.Button, new() { Name = "write-answer" }).ClickAsync();
            await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Span detail" })).ToContainTextAsync("gpt-4o-mini");
            await DashboardFixture.ScreenshotAsync(page, "06-replay-trace");

            await page.GetByRole(AriaRole.Link, new() { Name = "Compare with original" }).ClickAsync();
            if (await dashboard.HasFeatureAsync("comparison"))
            {
                await Expect(page.Locator(".metric.delta[data-metric='Cost'] .delta-line")).ToContainTextAsync("%");
                await page.Locator(".pair-row.change-changed").First.ClickAsync();
                await Expect(page.Locator(".pair-detail .diff ins, .pair-detail .diff del").First).ToBeVisibleAsync();
            }
            else
            {
                // This branch has no comparison API: the view says so instead of breaking.
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Trace comparison is not available on this server" })).ToBeVisibleAsync();
            }

            await DashboardFixture.ScreenshotAsync(page, "07-comparison");
        });
    }

    [ChromiumFact]
    public async Task FailedReplayShowsTheProvidersReason()
    {
        const string reason = "The fake provider is down for maintenance";
        dashboard.Llm.Responder = body => (string?)body["model"] == "gpt-4.1-mini" ? new FakeReply(Status: 500, Content: reason) : null;
        try
        {
            var page = await dashboard.SignedInPageAsync();
            await RunAsync(page, "replay-failed", async () =>
            {
                await page.GotoAsync($"{dashboard.BaseUrl}/#/traces/demo-summarizer");
                await page.GetByRole(AriaRole.Button, new() { Name = "Replay" }).ClickAsync();
                await page.GetByLabel("Model", new() { Exact = true }).SelectOptionAsync("gpt-4.1-mini");
                await page.GetByRole(AriaRole.Button, new() { Name = "Start replay" }).ClickAsync();

                await Expect(page.Locator("#replay-status-badge")).ToHaveTextAsync("FAILED");
                var error = page.Locator(".replay-error");
                await Expect(error).ToContainTextAsync(reason);
                await Expect(error).ToContainTextAsync("provider HTTP 500");
                await Expect(page.Locator("table.history tbody tr").First).ToContainTextAsync(reason);
                await DashboardFixture.ScreenshotAsync(page, "08-replay-failed");
            });
        }
        finally
        {
            dashboard.Llm.Reset();
        }
    }

    [ChromiumFact]
    public async Task TemplateVersionsShowALineDiffAndTheReplayButtonWorksFromTheKeyboard()
    {
        var page = await dashboard.SignedInPageAsync();
        await RunAsync(page, "templates", async () =>
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Prompt templates" }).ClickAsync();
            await page.GetByRole(AriaRole.Link, new() { Name = "support-system" }).ClickAsync();
            await Expect(page.GetByLabel("From version")).ToHaveValueAsync("1");
            await Expect(page.GetByLabel("To version")).ToHaveValueAsync("2");
            await Expect(page.Locator(".diff-lines del")).ToContainTextAsync("support assistant for {{company}}");
            await Expect(page.Locator(".diff-lines ins")).ToContainTextAsync("Always confirm the order status");
            await DashboardFixture.ScreenshotAsync(page, "09-template-diff");

            await page.GotoAsync($"{dashboard.BaseUrl}/#/traces/{DemoTrace}");
            var replay = page.GetByRole(AriaRole.Button, new() { Name = "Replay" });
            await Expect(replay).ToBeVisibleAsync();
            for (var i = 0; i < 40 && !await replay.EvaluateAsync<bool>("b => b === document.activeElement"); i++)
            {
                await page.Keyboard.PressAsync("Tab");
            }

            await page.Keyboard.PressAsync("Enter");
            await Expect(page.GetByRole(AriaRole.Region, new() { Name = "Replay this trace" })).ToBeVisibleAsync();
            await Expect(page.GetByLabel("Model", new() { Exact = true })).ToBeFocusedAsync();
        });
    }

    [ChromiumFact]
    public async Task SweepsAndEvaluatorsSayNotAvailableWhenTheServerHasNoSuchApi()
    {
        var page = await dashboard.SignedInPageAsync();
        await RunAsync(page, "optional-views", async () =>
        {
            await page.GetByRole(AriaRole.Link, new() { Name = "Sweeps" }).ClickAsync();
            if (await dashboard.HasFeatureAsync("sweeps"))
            {
                await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Estimate" })).ToBeVisibleAsync();
            }
            else
            {
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Sweeps is not available on this server" })).ToBeVisibleAsync();
            }

            await DashboardFixture.ScreenshotAsync(page, "10-sweeps");
            await page.GetByRole(AriaRole.Link, new() { Name = "Evaluators" }).ClickAsync();
            if (await dashboard.HasFeatureAsync("evaluators"))
            {
                await Expect(page.GetByRole(AriaRole.Button, new() { Name = "Create evaluator" })).ToBeVisibleAsync();
            }
            else
            {
                await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Evaluators is not available on this server" })).ToBeVisibleAsync();
            }

            await DashboardFixture.ScreenshotAsync(page, "11-evaluators");
        });
    }

    /// <summary>Runs a scenario and keeps a screenshot of the page as it was when a step failed.</summary>
    private static async Task RunAsync(IPage page, string name, Func<Task> scenario)
    {
        try
        {
            await scenario();
        }
        catch
        {
            await DashboardFixture.ScreenshotAsync(page, $"failed-{name}");
            throw;
        }
        finally
        {
            await page.Context.CloseAsync();
        }
    }
}
