using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Playwright;
using TraceReplay.Tests.Api;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using static Microsoft.Playwright.Assertions;

namespace TraceReplay.Tests.Dashboard;

/// <summary>The dashboard in real Chromium against the real API host over HTTP.</summary>
[Trait(TestCategory.Name, TestCategory.Browser)]
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

        using (var rebound = new HttpRequestMessage(HttpMethod.Get, "/dashboard/config"))
        {
            // DNS rebinding: a page of evil.example whose name now points at 127.0.0.1 reaches this socket.
            rebound.Headers.Host = "evil.example:" + new Uri(dashboard.BaseUrl).Port;
            var config = System.Text.Json.Nodes.JsonNode.Parse(await (await dashboard.Api.SendAsync(rebound)).Content.ReadAsStringAsync());
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
            // Grouped by provider; each served model says who serves it and how.
            await Expect(model.Locator("optgroup[data-provider='openai'] option[value='gpt-4o-mini']")).ToContainTextAsync("fake (OpenAI-compatible)");
            await Expect(model.Locator("optgroup[data-provider='anthropic']")).ToHaveAttributeAsync("label", "Anthropic — not served");
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
            var cost = page.Locator(".metric.delta[data-metric='Cost']");
            await Expect(cost.Locator(".delta-line")).ToContainTextAsync("%");
            await Expect(cost).ToHaveClassAsync(new Regex("verdict-better"));   // gpt-4o-mini is the cheaper model
            await Expect(cost.Locator(".trend")).ToHaveTextAsync("▼");
            await Expect(page.Locator(".pair-row")).ToHaveCountAsync(5);
            await page.Locator(".pair-row.change-changed", new() { HasText = "write-answer" }).ClickAsync();
            var pair = page.GetByRole(AriaRole.Region, new() { Name = "Span pair differences" });
            await Expect(pair).ToContainTextAsync("Changed: model, parameters");
            await Expect(pair.Locator(".diff ins").First).ToBeVisibleAsync();
            await Expect(pair.Locator(".diff del").First).ToBeVisibleAsync();
            await Expect(pair.GetByRole(AriaRole.Cell, new() { Name = "temperature" })).ToBeVisibleAsync();
            await Expect(page.GetByRole(AriaRole.Heading, new() { Name = "Scores" })).ToBeVisibleAsync();
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
    public async Task ASweepFromTheSweepsPageShowsItsEstimateProgressResultsPerEvaluatorAndDownloadsCsv()
    {
        // Evaluators first, so the traces ingested next (and their replays) are scored: LENGTH passes the recorded
        // answers (29 characters) and fails the fake model's longer ones; CONTAINS passes both.
        var suffix = Guid.NewGuid().ToString("N")[..6];
        var evaluators = new[]
        {
            await CreateEvaluatorAsync($"short answer {suffix}", "LENGTH", new JsonObject { ["max_length"] = 35 }),
            await CreateEvaluatorAsync($"mentions answer {suffix}", "CONTAINS", new JsonObject { ["values"] = new JsonArray("answer") }),
        };
        var tag = "dash-sweep-" + suffix;
        var ids = await IngestTracesAsync(tag, 3);
        dashboard.Llm.Delay = TimeSpan.FromMilliseconds(250);   // one replay at a time: the bar moves in steps
        try
        {
            foreach (var id in ids)
            {
                await Eventually.ReturnsAsync(() => GetDataAsync($"/api/v1/traces/{id}"), t => (string?)t["evaluations"]?["status"] == "DONE",
                    TimeSpan.FromSeconds(20), $"trace {id} to be scored");
            }

            var page = await dashboard.SignedInPageAsync();
            await RunAsync(page, "sweep", async () =>
            {
                await page.GetByRole(AriaRole.Link, new() { Name = "Sweeps" }).ClickAsync();
                await page.GetByLabel("Tags (all of)").FillAsync(tag);
                await page.GetByLabel("Target model").SelectOptionAsync("gpt-4o-mini");
                await page.GetByLabel("Replays at once").FillAsync("1");
                await page.GetByLabel("Sweep name").FillAsync($"mini check {suffix}");
                var start = page.GetByRole(AriaRole.Button, new() { Name = "Start sweep" });
                await Expect(start).ToBeDisabledAsync();
                await page.GetByRole(AriaRole.Button, new() { Name = "Estimate" }).ClickAsync();
                await Expect(page.Locator("#estimate-traces")).ToHaveTextAsync("3");
                await Expect(page.Locator("#estimate-cost")).ToContainTextAsync("$");
                await Expect(start).ToBeEnabledAsync();
                await DashboardFixture.ScreenshotAsync(page, "10-sweep-estimate");

                await start.ClickAsync();
                await Expect(page).ToHaveURLAsync(new Regex("#/sweeps/swp_"));
                var progress = page.GetByRole(AriaRole.Progressbar, new() { Name = "Sweep progress" });
                await Expect(progress).ToHaveAttributeAsync("aria-valuemax", "3");
                await Expect(progress).ToHaveAttributeAsync("aria-valuenow", "3");
                await Expect(page.Locator("#sweep-status")).ToHaveTextAsync("COMPLETED");

                var perEvaluator = page.Locator(".ci-table tbody tr");
                await Expect(perEvaluator).ToHaveCountAsync(2);
                var length = perEvaluator.Filter(new() { HasText = $"short answer {suffix}" });
                await Expect(length).ToContainTextAsync("-1.000 [-1.000, -1.000]");
                await Expect(length.GetByRole(AriaRole.Img)).ToHaveAttributeAsync("aria-label", new Regex("mean difference -1.000"));
                await Expect(perEvaluator.Filter(new() { HasText = $"mentions answer {suffix}" })).ToContainTextAsync("0.000 [0.000, 0.000]");
                await Expect(page.Locator("table.regressions tbody tr")).ToHaveCountAsync(3);
                await DashboardFixture.ScreenshotAsync(page, "11-sweep-results");

                var download = await page.RunAndWaitForDownloadAsync(() => page.GetByRole(AriaRole.Button, new() { Name = "Download CSV" }).ClickAsync());
                var csv = (await File.ReadAllTextAsync((await download.PathAsync())!)).TrimEnd().Split('\n');
                Assert.StartsWith("trace_id,trace_name,status", csv[0]);
                Assert.Equal(4, csv.Length);
                Assert.All(ids, id => Assert.Contains(csv, line => line.StartsWith(id + ",", StringComparison.Ordinal)));
                Assert.EndsWith(".csv", download.SuggestedFilename);

                // A regression opens its comparison, whose score table has both sides of each evaluator.
                await page.Locator("table.regressions").GetByRole(AriaRole.Link, new() { Name = "Compare" }).First.ClickAsync();
                var scores = page.Locator("table.comparison-scores tbody tr");
                await Expect(scores).ToHaveCountAsync(2);
                var worse = scores.Filter(new() { HasText = $"short answer {suffix}" });
                await Expect(worse).ToContainTextAsync("-1.00");
                await Expect(worse.Locator(".verdict-worse").First).ToBeVisibleAsync();
                await DashboardFixture.ScreenshotAsync(page, "12-sweep-regression-comparison");

                // The original's own page lists its scores and its evaluation status.
                await page.GotoAsync($"{dashboard.BaseUrl}/#/traces/{ids[0]}");
                var scoresCard = page.GetByRole(AriaRole.Region, new() { Name = "Scores" });
                await Expect(scoresCard.Locator(".evaluation-status")).ToContainTextAsync("evaluated by");
                await Expect(scoresCard.Locator("tbody tr", new() { HasText = $"short answer {suffix}" })).ToContainTextAsync("PASS");
                await Expect(scoresCard.Locator("tbody tr", new() { HasText = $"short answer {suffix}" })).ToContainTextAsync("29 characters");
            });
        }
        finally
        {
            dashboard.Llm.Reset();
            foreach (var id in evaluators)
            {
                await dashboard.Api.DeleteAsync($"/api/v1/evaluators/{id}");
            }
        }
    }

    [ChromiumFact]
    public async Task EvaluatorsPageCreatesOneShowsTheApisErrorForABadConfigAndDisablesOne()
    {
        var name = "mentions refund " + Guid.NewGuid().ToString("N")[..6];
        var page = await dashboard.SignedInPageAsync();
        try
        {
            await RunAsync(page, "evaluators", async () =>
            {
                await page.GetByRole(AriaRole.Link, new() { Name = "Evaluators" }).ClickAsync();
                await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name);
                await Expect(page.GetByLabel("Type")).ToHaveValueAsync("CONTAINS");
                await Expect(page.GetByLabel("Config (JSON)")).ToHaveValueAsync(new Regex("\"values\""));
                await page.GetByRole(AriaRole.Button, new() { Name = "Create evaluator" }).ClickAsync();
                var row = page.Locator("table.evaluators tbody tr", new() { HasText = name });
                await Expect(row).ToContainTextAsync("CONTAINS");
                var toggle = page.GetByRole(AriaRole.Switch, new() { Name = $"Enable {name}" });
                await Expect(toggle).ToBeCheckedAsync();

                // The server's validation message names the field.
                await page.GetByLabel("Name", new() { Exact = true }).FillAsync(name + " too");
                await page.GetByLabel("Type").SelectOptionAsync("LENGTH");
                await Expect(page.GetByLabel("Config (JSON)")).ToHaveValueAsync(new Regex("max_length"));
                await page.GetByLabel("Config (JSON)").FillAsync("{}");
                await page.GetByRole(AriaRole.Button, new() { Name = "Create evaluator" }).ClickAsync();
                await Expect(page.Locator("form .form-error")).ToContainTextAsync("config.min_length or config.max_length is required");
                await DashboardFixture.ScreenshotAsync(page, "13-evaluators");

                await toggle.UncheckAsync();
                await Expect(row).ToContainTextAsync("off");
                var id = await row.GetAttributeAsync("data-evaluator-id");
                Assert.False((bool?)(await GetDataAsync($"/api/v1/evaluators/{id}"))["enabled"]);
            });
        }
        finally
        {
            var list = (JsonArray)await GetDataAsync("/api/v1/evaluators");
            foreach (var ev in list.Where(e => ((string?)e?["name"])?.StartsWith(name, StringComparison.Ordinal) == true))
            {
                await dashboard.Api.DeleteAsync($"/api/v1/evaluators/{ev!["id"]}");
            }
        }
    }

    private async Task<JsonNode> GetDataAsync(string path)
    {
        using var response = await dashboard.Api.GetAsync(path);
        response.EnsureSuccessStatusCode();
        return JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!;
    }

    private async Task<string> CreateEvaluatorAsync(string name, string type, JsonObject config)
    {
        using var response = await dashboard.Api.PostAsJsonAsync("/api/v1/evaluators", new JsonObject { ["name"] = name, ["type"] = type, ["config"] = config });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (string)JsonNode.Parse(await response.Content.ReadAsStringAsync())!["data"]!["id"]!;
    }

    /// <summary>Traces tagged <paramref name="tag"/>, each one LLM span answering "recorded answer to question i".</summary>
    private async Task<List<string>> IngestTracesAsync(string tag, int count)
    {
        var ids = Enumerable.Range(0, count).Select(_ => Batches.NewTraceId()).ToList();
        var events = ids.SelectMany((id, i) => new[] { Batches.TraceCreate(id, "sweep-agent", [tag]), Batches.LlmSpan(id, "llm", $"question {i}") });
        using var response = await dashboard.Api.PostAsJsonAsync("/api/v1/traces", Batches.Of([.. events]));
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return ids;
    }

    /// <summary>Runs a scenario and keeps a screenshot of the page as it was when a step failed.</summary>
    [Fact]
    public async Task RowsAndIdsOpenTracesTheListFiltersReplaysAndTheLayoutHoldsFrom1400To800Pixels()
    {
        var page = await dashboard.SignedInPageAsync();
        await RunAsync(page, "layout", async () =>
        {
            var rows = page.Locator("tbody tr");
            await Expect(rows.Filter(new() { HasText = DemoTrace })).ToHaveCountAsync(1);

            // Originals only: no replay rows; replays only: every row says what it replays.
            await page.GetByLabel("Show").SelectOptionAsync("original");
            await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("kind=original"));
            await Expect(rows.Filter(new() { HasText = DemoTrace })).ToHaveCountAsync(1);
            await Expect(rows.Filter(new() { HasText = "replay of" })).ToHaveCountAsync(0);
            await page.GetByLabel("Show").SelectOptionAsync("replay");
            await page.GetByRole(AriaRole.Button, new() { Name = "Apply" }).ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex("kind=replay"));
            await Expect(rows.Filter(new() { HasText = DemoTrace }).Filter(new() { HasNotText = "replay of" })).ToHaveCountAsync(0);

            // The id is a link (the keyboard path); a click anywhere else on the row opens the trace too.
            await page.GotoAsync($"{dashboard.BaseUrl}/#/traces");
            var row = rows.Filter(new() { HasText = DemoTrace });
            await Expect(row.GetByRole(AriaRole.Link, new() { Name = DemoTrace, Exact = true })).ToHaveAttributeAsync("href", $"#/traces/{DemoTrace}");
            await Expect(row.Locator("td.preview")).ToContainTextAsync("order 1234");
            await row.Locator("td.num").First.ClickAsync();
            await Expect(page).ToHaveURLAsync(new Regex($"#/traces/{DemoTrace}$"));

            // The span timeline: a bar per timed span with its duration.
            var bars = page.Locator(".waterfall-row");
            await Expect(bars).ToHaveCountAsync(5);
            await Expect(bars.Filter(new() { HasText = "write-answer" })).ToContainTextAsync("starts at");

            // A finished sweep and a replay's comparison of the demo agent, for their pages at each width too.
            using var started = await dashboard.Api.PostAsJsonAsync("/api/v1/sweeps", new
            {
                name = "layout sweep", filter = new { traceIds = new[] { DemoTrace } }, overrides = new { model = "gpt-4o-mini" },
            });
            var sweepId = (string)(await ApiFixture.ReadJsonAsync(started))["data"]!["id"]!;
            var sweep = await Eventually.ReturnsAsync(() => GetDataAsync($"/api/v1/sweeps/{sweepId}"), s => s["completedAt"] is not null,
                TimeSpan.FromSeconds(60), "the layout sweep to finish");
            Assert.Equal("COMPLETED", (string?)sweep["status"]);
            var replays = (JsonArray)await GetDataAsync($"/api/v1/traces/{DemoTrace}/replays");
            var replayId = (string)replays.First(r => (string?)r!["status"] == "COMPLETED")!["id"]!;

            foreach (var width in new[] { 1400, 1000, 800 })
            {
                await page.SetViewportSizeAsync(width, 900);
                foreach (var (hash, heading, shot, loaded) in new[]
                {
                    ("#/traces", "Traces", "list", "tbody tr"),
                    ($"#/traces/{DemoTrace}", "support-agent", "trace", ".waterfall-row"),
                    ($"#/sweeps/{sweepId}", "layout sweep", "sweep", "#sweep-status"),
                    ($"#/replays/{replayId}/compare", "Replay vs original", "comparison", ".pair-row"),
                })
                {
                    await page.GotoAsync($"{dashboard.BaseUrl}/{hash}");
                    var title = page.GetByRole(AriaRole.Heading, new() { Name = heading, Level = 1 });
                    await Expect(title).ToBeVisibleAsync();
                    await Expect(page.Locator(loaded).First).ToBeVisibleAsync();
                    await page.WaitForLoadStateAsync(LoadState.NetworkIdle);

                    // Nothing covers the title, and the page does not scroll sideways.
                    var covered = await title.EvaluateAsync<bool>("t => { const r = t.getBoundingClientRect(); const e = document.elementFromPoint(r.left + 5, r.top + r.height / 2); return !(e === t || t.contains(e)); }");
                    Assert.False(covered, $"the title is covered at {width} px on {hash}");
                    var overflow = await page.EvaluateAsync<int>("() => document.documentElement.scrollWidth - window.innerWidth");
                    Assert.True(overflow <= 1, $"{hash} at {width} px scrolls sideways by {overflow} px");
                    await DashboardFixture.ScreenshotAsync(page, $"20-{shot}-{width}");
                }
            }
        });
    }

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
