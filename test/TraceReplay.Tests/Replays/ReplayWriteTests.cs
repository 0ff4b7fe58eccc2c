using Microsoft.Extensions.DependencyInjection;
using Orleans.Storage;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fakes;
using TraceReplay.Tests.Fixtures;
using Xunit.Abstractions;

namespace TraceReplay.Tests.Replays;

/// <summary>
/// What a replay costs the storage, counted by a wrapper around each real grain storage: its writes, that none of them
/// rewrites the source trace's spans, and that the source trace is not read back once the replay was admitted.
/// </summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
public sealed class ReplayWriteTests(WriteCountingClusterFixture fixture, ITestOutputHelper output) : IClassFixture<WriteCountingClusterFixture>
{
    /// <summary>
    /// The most grain-state writes a replay of a three-LLM-span trace with one evaluator makes, in every timing: the
    /// replay's start, the new trace's body (every result, the trace and COMPLETED in one write), the source's history
    /// and the new trace's score. Results that arrive before the last are appended to the replay result journal, a row
    /// each (#17: a finished call is never made again), not written to grain state. The quota slot is not written.
    /// </summary>
    private const int MaxWritesPerReplay = 4;

    private IClusterClient Client => fixture.Client;

    /// <summary>
    /// The answers arrive 0.4 s apart, so the results before the last are journaled on their own: in an isolated replay
    /// the three calls run at once and finish one by one; in a chained one they run one after another.
    /// </summary>
    [Theory]
    [InlineData(ReplayMode.Isolated)]
    [InlineData(ReplayMode.Chained)]
    public async Task AReplayOfAThreeLlmSpanTraceWithOneEvaluatorMakesAtMostFourGrainStateWritesWhenItsAnswersArriveApart(ReplayMode mode)
    {
        var tag = FakeOpenAiServer.NewTag();
        fixture.Llm.Responder = body => StepOf(body, tag) is { } step ? new FakeReply(Delay: TimeSpan.FromMilliseconds(400 * step)) : null;
        try
        {
            var (done, writes, _) = await ReplayAsync(withEvaluator: true, mode, tag);

            output.WriteLine(string.Join("\n", writes.AsEnumerable()));
            Assert.Equal(ReplayStatus.Completed, done.Status);
            Assert.Equal(3, done.CompletedSpans);
            var replay = Client.GetGrain<IReplayGrain>(done.Id).GetGrainId();
            var replayTrace = Client.GetGrain<ITraceGrain>(TraceKeys.For(done.Project, done.ReplayTraceId!)).GetGrainId();
            Assert.True(writes.Length <= MaxWritesPerReplay, $"{writes.Length} writes:\n{string.Join("\n", writes.AsEnumerable())}");
            Assert.Single(writes, w => w.GrainId == replay);
            Assert.Single(writes, w => w.GrainId == replayTrace && w.StateName == "trace");
            Assert.Contains("outcome=Completed trace=True", writes.Single(w => w.GrainId == replayTrace && w.StateName == "trace").Note, StringComparison.Ordinal);
            Assert.DoesNotContain(writes, w => w.Storage == TraceReplayNames.ProjectStorage);

            // The results before the last were journaled as they arrived (a chain's two exactly; an isolated replay's in
            // one or two appends), never the last one, and the finished replay's rows are gone.
            var appends = fixture.JournalAppends.Where(a => a.ReplayId == done.Id).ToList();
            output.WriteLine(string.Join("\n", appends.Select(a => string.Join(",", a.SpanIds))));
            if (mode == ReplayMode.Chained)
            {
                Assert.Equal([["l0"], ["l1"]], appends.Select(a => a.SpanIds));
            }
            else
            {
                Assert.InRange(appends.Count, 1, 2);
                Assert.DoesNotContain("l2", appends.SelectMany(a => a.SpanIds));
            }

            Assert.Empty(await fixture.Journal.ReadAsync(done.Id));
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    /// <summary>
    /// Issue 17 with the journal: a replay whose activation ends while a call is in flight (its memory lost, as when its
    /// silo dies) resumes from its journaled results and makes no finished call again.
    /// </summary>
    [Fact]
    public async Task AReplayInterruptedAfterAResultWasJournaledResumesWithoutMakingThatCallAgain()
    {
        var tag = FakeOpenAiServer.NewTag();
        var slowOnce = 1;
        // The second call's first attempt hangs until the activation is gone; every other call answers at once.
        fixture.Llm.Responder = body => StepOf(body, tag) == 1 && Interlocked.Exchange(ref slowOnce, 0) == 1
            ? new FakeReply(Delay: TimeSpan.FromSeconds(30))
            : null;
        try
        {
            var source = Client.GetGrain<ITraceGrain>(TraceKeys.For(NewProject(), NewId("t")));
            await source.IngestAsync(SampleTraces.Chain(3, tag: tag));
            var replayId = (await source.StartReplayAsync(new ReplayOverrides(null, null, null, ReplayMode.Chained))).Replay!.Id;
            await Eventually.ReturnsAsync(() => fixture.Journal.ReadAsync(replayId), rows => rows.Count == 1, TimeSpan.FromSeconds(20),
                "the first result in the journal");
            var replay = Client.GetGrain<IReplayGrain>(replayId);
            Assert.Equal(1, (await replay.GetAsync())!.CompletedSpans);

            await fixture.Cluster.DeactivateAsync(replay);
            var done = await fixture.WaitForReplayAsync(replayId);

            Assert.Equal(ReplayStatus.Completed, done.Status);
            var steps = fixture.Llm.Tagged(tag).Select(r => StepOf(r.Body, tag)).ToList();
            Assert.Equal(1, steps.Count(s => s == 0));
            Assert.Equal(1, steps.Count(s => s == 2));
            var copy = (await Client.GetGrain<ITraceGrain>(TraceKeys.For(done.Project, done.ReplayTraceId!)).GetAsync())!;
            Assert.Equal(3, copy.Spans.Count(s => s.Type == SpanType.Llm));
            Assert.Empty(await fixture.Journal.ReadAsync(replayId));
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    /// <summary>Which step of <see cref="SampleTraces.Chain"/> (tagged <paramref name="tag"/>) a request is for; null for another test's.</summary>
    private static int? StepOf(System.Text.Json.Nodes.JsonObject body, string tag)
    {
        var text = body["messages"]?.ToJsonString() ?? "";
        for (var step = 0; step < 3; step++)
        {
            if (text.Contains($"step {step} {tag}", StringComparison.Ordinal))
            {
                return step;
            }
        }

        return null;
    }

    [Fact]
    public async Task AReplayNeverWritesTheSourceTracesBodyAndRecordsItsOutcomeInOneHistoryWrite()
    {
        var (_, writes, source) = await ReplayAsync(withEvaluator: true);

        Assert.DoesNotContain(writes, w => w.GrainId == source && w.StateName == "trace");
        Assert.Single(writes, w => w.GrainId == source && w.StateName == "activity");
    }

    [Fact]
    public async Task AReplayReadsNeitherItsSourceTraceAfterAdmissionNorWhenAFinishedReplayIsActivatedAgain()
    {
        var calls = fixture.Calls.Count;
        var (done, _, source) = await ReplayAsync(withEvaluator: false);
        var during = fixture.Calls.Skip(calls).Where(c => c.Target == source).Select(c => c.Method).SkipWhile(m => m == "IngestAsync").ToList();

        // After the ingest: the admission (StartReplayAsync) and the final report (RecordReplayAsync): no read of the trace in between.
        Assert.Equal(["StartReplayAsync", "RecordReplayAsync"], during);

        var replay = Client.GetGrain<IReplayGrain>(done.Id);
        await fixture.Cluster.DeactivateAsync(replay);
        calls = fixture.Calls.Count;
        Assert.Equal(done, await replay.GetAsync());
        Assert.DoesNotContain(fixture.Calls.Skip(calls), c => c.Target == source);
    }

    [Fact]
    public async Task AFinishedReplayActivatedAgainWritesItsNewTracesCatalogRowWhenItIsMissing()
    {
        var (done, _, _) = await ReplayAsync(withEvaluator: false);
        var catalog = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredService<ITraceCatalog>();
        Assert.Single(await catalog.GetRowsAsync(done.Project, [done.ReplayTraceId!]));

        // As after a silo lost between the new trace's write and its catalog row's: stored, COMPLETED, not listed.
        await catalog.DeleteAsync(done.Project, [done.ReplayTraceId!]);
        var replay = Client.GetGrain<IReplayGrain>(done.Id);
        await fixture.Cluster.DeactivateAsync(replay);

        Assert.Equal(done, await replay.GetAsync());
        var row = Assert.Single(await catalog.GetRowsAsync(done.Project, [done.ReplayTraceId!]));
        Assert.Equal(done.ReplayTraceId, row.Id);
    }

    [Fact]
    public async Task ARefusedReplayWritesNothingAndTakesNoQuotaSlot()
    {
        var project = NewProject();
        var source = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, NewId("t")));
        await source.IngestAsync(SampleTraces.Chain(3));
        var before = fixture.Writes.Count;

        var refused = await source.StartReplayAsync(new ReplayOverrides("no-such-model", null, null), inFlightLimit: 1);

        Assert.Equal(ErrorKind.Validation, refused.Error!.Kind);
        // Nothing of this project, and no replay's start (an earlier test's replay may still write its last state).
        Assert.DoesNotContain(fixture.Writes.Skip(before), w =>
            w.GrainId.ToString().Contains(project, StringComparison.Ordinal) || w.Note?.StartsWith("Pending", StringComparison.Ordinal) == true);
        Assert.Empty(await source.GetReplaysAsync());
        // The one slot of the limit is still free.
        var started = await source.StartReplayAsync(ReplayOverrides.None, inFlightLimit: 1);
        Assert.NotNull(started.Replay);
        await fixture.WaitForReplayAsync(started.Replay.Id);
    }

    [Fact]
    public async Task TheAdmissionRefusesAReplayPastTheProjectsInFlightLimit()
    {
        var project = NewProject();
        var tag = NewId("slow");
        var source = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, NewId("t")));
        await source.IngestAsync(SampleTraces.Chain(1, tag: tag));
        fixture.Llm.Responder = body => body.ToJsonString().Contains(tag, StringComparison.Ordinal) ? new Fakes.FakeReply(Delay: TimeSpan.FromSeconds(3)) : null;
        try
        {
            var first = await source.StartReplayAsync(ReplayOverrides.None, inFlightLimit: 1);
            var second = await source.StartReplayAsync(ReplayOverrides.None, inFlightLimit: 1);

            Assert.NotNull(first.Replay);
            Assert.Equal(ErrorKind.LimitExceeded, second.Error!.Kind);
            Assert.Contains("1 replays in flight", second.Error.Message, StringComparison.Ordinal);
            Assert.Equal([first.Replay.Id], (await source.GetReplaysAsync()).Select(r => r.Id));
            await fixture.WaitForReplayAsync(first.Replay.Id);
        }
        finally
        {
            fixture.Llm.Responder = null;
        }
    }

    [Fact]
    public async Task AReplaysQuotaSlotIsNotWrittenAndAResumedReplayTakesItsSlotWhateverTheLimit()
    {
        var quota = Client.GetGrain<IProjectQuotaGrain>(NewProject());
        var before = fixture.Writes.Count;

        Assert.True(await quota.TryAcquireAsync(QuotaKind.Replays, "rpl_first", 1));
        // A replay that resumes after a crash takes its slot back even past the limit; neither replay exists, so both
        // slots are kept for their grace minute.
        await quota.HoldAsync(QuotaKind.Replays, "rpl_resumed");
        Assert.False(await quota.TryAcquireAsync(QuotaKind.Replays, "rpl_third", 2));
        await quota.ReleaseAsync(QuotaKind.Replays, "rpl_first");
        Assert.True(await quota.TryAcquireAsync(QuotaKind.Replays, "rpl_third", 2));

        Assert.DoesNotContain(fixture.Writes.Skip(before), w => w.GrainId == quota.GetGrainId());
    }

    [Fact]
    public async Task ATraceWrittenBeforeTheSplitKeepsItsHistoryAndScoresAndAScoreThenLeavesItsSpansAlone()
    {
        var key = TraceKeys.For(NewProject(), NewId("t"));
        var grain = Client.GetGrain<ITraceGrain>(key);
        var ingest = SampleTraces.Agent();
        var trace = new TraceData(TraceKeys.Parse(key).TraceId, "agent", null, [], SampleTraces.Start, SampleTraces.Start, ingest.Spans, null, true);
        var replay = new ReplaySnapshot("rpl_old", trace.Id, ReplayStatus.Completed, ReplayOverrides.None, SampleTraces.Start, SampleTraces.Start,
            SampleTraces.Start.AddSeconds(3), null, 2, 2, "trace_rpl_old", new OverrideCounts(0, 0, 0), null);
        var score = new TraceScore("ev_1", "helpful", "BOOLEAN", 1, null, null, 1, SampleTraces.Start);
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.TraceStorage);
        await storage.WriteStateAsync("trace", grain.GetGrainId(), new StoredState<TraceState>(new TraceState
        {
            Trace = trace, LegacyReplays = [replay], LegacyScores = [score], Evaluation = new EvaluationStatus(1, [], null),
        }));

        Assert.Equal(trace.Spans, (await grain.GetAsync())!.Spans);
        Assert.Equal([replay], await grain.GetReplaysAsync());
        Assert.Equal([score], await grain.GetScoresAsync());
        var moved = new StoredState<TraceActivity>(new TraceActivity());
        await storage.ReadStateAsync("activity", grain.GetGrainId(), moved);
        Assert.Equal([replay], moved.State.Replays);

        var before = fixture.Writes.Count;
        await grain.AddScoreAsync(score with { EvaluatorId = "ev_2" });
        await fixture.Cluster.DeactivateAsync(grain);

        Assert.All(fixture.Writes.Skip(before).Where(w => w.GrainId == grain.GetGrainId()), w => Assert.Equal("activity", w.StateName));
        Assert.Equal(["ev_1", "ev_2"], (await grain.GetScoresAsync()).Select(s => s.EvaluatorId));
        Assert.Equal([replay], await grain.GetReplaysAsync());
    }

    [Fact]
    public async Task ATracePurgedBeforeTheSplitStaysPurged()
    {
        var key = TraceKeys.For(NewProject(), NewId("t"));
        var grain = Client.GetGrain<ITraceGrain>(key);
        var storage = fixture.Cluster.Silos[0].ServiceProvider.GetRequiredKeyedService<IGrainStorage>(TraceReplayNames.TraceStorage);
        await storage.WriteStateAsync("trace", grain.GetGrainId(), new StoredState<TraceState>(new TraceState { LegacyPurgedAt = SampleTraces.Start }));

        var refused = await grain.StartReplayAsync(ReplayOverrides.None);

        Assert.Equal(ErrorKind.Gone, refused.Error!.Kind);
        Assert.Contains("purged", refused.Error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheHistoryKeepsTheNewestSummariesOnly()
    {
        var activity = new TraceActivity();
        for (var i = 0; i < TraceActivity.MaxInlineReplays + 5; i++)
        {
            activity.KeepReplay(new ReplaySnapshot($"rpl_{i}", "t", ReplayStatus.Completed, ReplayOverrides.None, SampleTraces.Start.AddMinutes(i),
                null, null, null, 0, 0, null, new OverrideCounts(0, 0, 0), null));
        }

        Assert.Equal(TraceActivity.MaxInlineReplays, activity.Replays.Count);
        Assert.Equal($"rpl_{TraceActivity.MaxInlineReplays + 4}", activity.Replays[0].Id);
        Assert.Equal("rpl_5", activity.Replays[^1].Id);
    }

    /// <summary>
    /// A sweep touches each of up to 100,000 traces for seconds: once the source's last replay has reported and the new
    /// trace is scored, neither stays in memory until the collection age; what they hold is read back when asked.
    /// </summary>
    [Fact]
    public async Task TracesDoneWithLeaveMemoryAndReadBackWhatTheyHeld()
    {
        var project = NewProject();
        await Client.GetGrain<IEvaluatorRegistryGrain>(project).CreateAsync(new NewEvaluator("says-answer", "CONTAINS", """{"value":"answer"}""", true));
        var source = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, NewId("t")));
        await source.IngestAsync(SampleTraces.Chain(3));
        await Eventually.ReturnsAsync(source.GetScoresAsync, s => s.Count == 1, TimeSpan.FromSeconds(20), "the source trace's score");

        var before = fixture.Writes.Count;
        var calls = fixture.Calls.Count;
        var done = await fixture.WaitForReplayAsync((await source.StartReplayAsync(ReplayOverrides.None, inFlightLimit: 100)).Replay!.Id);
        var copy = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, done.ReplayTraceId!));
        // Watched through the storage, not by calling them: a call would bring them back.
        await Eventually.ReturnsAsync(() => Task.FromResult(fixture.Writes.Skip(before).ToList()),
            w => w.Any(x => x.GrainId == source.GetGrainId() && x.StateName == "activity")
                && w.Any(x => x.GrainId == copy.GetGrainId() && x.StateName == "activity"),
            TimeSpan.FromSeconds(20), "the source's history and the new trace's score");
        var management = Client.GetGrain<IManagementGrain>(0);
        await Eventually.ReturnsAsync(async () =>
            {
                var active = await management.GetActiveGrains(source.GetGrainId().Type);
                return (Source: active.Contains(source.GetGrainId()), Copy: active.Contains(copy.GetGrainId()));
            },
            active => !active.Source && !active.Copy, TimeSpan.FromSeconds(20),
            "the source and the new trace to leave memory");

        Assert.Equal([done.Id], (await source.GetReplaysAsync()).Select(r => r.Id));
        Assert.Single(await copy.GetScoresAsync());
        Assert.NotNull(await copy.GetAsync());
    }

    /// <summary>
    /// Ingests a three-LLM-span trace in a project of its own (with one evaluator: the trace is scored first), replays
    /// it, and returns the writes it caused from its start until its last write — and, with the evaluator, the new
    /// trace's score.
    /// </summary>
    private async Task<(ReplaySnapshot Done, StateWrite[] Writes, GrainId Source)> ReplayAsync(
        bool withEvaluator, ReplayMode mode = ReplayMode.Isolated, string? tag = null)
    {
        var project = NewProject();
        if (withEvaluator)
        {
            await Client.GetGrain<IEvaluatorRegistryGrain>(project).CreateAsync(new NewEvaluator("says-answer", "CONTAINS", """{"value":"answer"}""", true));
        }

        var source = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, NewId("t")));
        await source.IngestAsync(SampleTraces.Chain(3, tag: tag));
        if (withEvaluator)
        {
            await Eventually.ReturnsAsync(source.GetScoresAsync, s => s.Count == 1, TimeSpan.FromSeconds(20), "the source trace's score");
        }

        var before = fixture.Writes.Count;
        var started = await source.StartReplayAsync(new ReplayOverrides(null, null, null, mode), inFlightLimit: 100);
        var done = await fixture.WaitForReplayAsync(started.Replay!.Id);
        var replay = Client.GetGrain<IReplayGrain>(done.Id).GetGrainId();
        // The replay's last write is the source's history: its COMPLETED is stored with the new trace, before it.
        await Eventually.ReturnsAsync(() => Task.FromResult(fixture.Writes.Skip(before).ToList()),
            w => w.Any(x => x.GrainId == source.GetGrainId() && x.StateName == "activity"),
            TimeSpan.FromSeconds(20), "the source's history write");
        if (withEvaluator)
        {
            var copy = Client.GetGrain<ITraceGrain>(TraceKeys.For(project, done.ReplayTraceId!));
            await Eventually.ReturnsAsync(copy.GetScoresAsync, s => s.Count == 1, TimeSpan.FromSeconds(20), "the new trace's score");
        }

        // This replay's writes and those of its project's grains (traces, quota): not a straggler of an earlier test.
        StateWrite[] writes = [.. fixture.Writes.Skip(before).Where(w => w.GrainId == replay || w.GrainId.ToString().Contains(project, StringComparison.Ordinal))];
        return (done, writes, source.GetGrainId());
    }

    private static string NewProject() => NewId("p");

    private static string NewId(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N");

    private sealed class StoredState<T>(T state) : IGrainState<T>
    {
        [System.Diagnostics.CodeAnalysis.AllowNull]
        public T State { get; set; } = state;

        public string? ETag { get; set; }

        public bool RecordExists { get; set; }
    }
}
