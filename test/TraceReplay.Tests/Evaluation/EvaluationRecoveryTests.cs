using Microsoft.Extensions.DependencyInjection;
using TraceReplay.Grains;
using TraceReplay.Grains.Traces;
using TraceReplay.Tests.Fixtures;

namespace TraceReplay.Tests.Evaluation;

/// <summary>Pending evaluations are recorded on the trace's catalog row, never as a reminder of the trace.</summary>
[Trait(TestCategory.Name, TestCategory.Cluster)]
[Collection(ClusterCollection.Name)]
public sealed class EvaluationRecoveryTests(ClusterFixture fixture)
{
    private IServiceProvider Silo => fixture.Cluster.Silos[0].ServiceProvider;

    private ITraceCatalog Catalog => Silo.GetRequiredService<ITraceCatalog>();

    private async Task<TraceCatalogRow> RowAsync(string project) => (await Catalog.QueryAsync(new TraceQuery(project))).Traces.Single();

    private async Task<int> RemindersAsync(IAddressable grain) =>
        (await Silo.GetRequiredService<IReminderTable>().ReadRows(grain.GetGrainId())).Reminders.Count;

    [Fact]
    public async Task ATraceScoredNormallyHadItsPendingFlagOnItsCatalogRowAndNoReminder()
    {
        // A project of its own, so its evaluator scores no other test's traces.
        var project = "p-" + Guid.NewGuid().ToString("N");
        await fixture.Client.GetGrain<IEvaluatorRegistryGrain>(project)
            .CreateAsync(new NewEvaluator("mentions-order", "CONTAINS", """{"value":"order"}""", true));
        var trace = fixture.Client.GetGrain<ITraceGrain>(TraceKeys.For(project, "t-" + Guid.NewGuid().ToString("N")));

        await trace.IngestAsync(SampleTraces.Agent());

        // Scoring waits for the settle delay (1 s): the trace is pending, and only its catalog row says so.
        Assert.Single((await trace.GetEvaluationStatusAsync()).Pending);
        Assert.True((await RowAsync(project)).EvaluationsPending);
        Assert.Equal(0, await RemindersAsync(trace));

        await Eventually.ReturnsAsync(() => RowAsync(project), r => !r.EvaluationsPending, TimeSpan.FromSeconds(20), "the last score to clear the flag");
        Assert.Empty((await trace.GetEvaluationStatusAsync()).Pending);
        Assert.Single(await trace.GetScoresAsync());
        Assert.Equal(0, await RemindersAsync(trace));
    }

    [Fact]
    public async Task RedrivingATraceWithNothingPendingClearsAStaleFlag()
    {
        var project = "p-" + Guid.NewGuid().ToString("N");
        var trace = fixture.Client.GetGrain<ITraceGrain>(TraceKeys.For(project, "t-" + Guid.NewGuid().ToString("N")));
        await trace.IngestAsync(SampleTraces.Agent());
        Assert.Empty((await trace.GetEvaluationStatusAsync()).Pending);
        // As after a crash between the last score's state write and its catalog mark.
        await Catalog.UpsertAsync((await RowAsync(project)) with { EvaluationsPending = true });

        await trace.RedriveEvaluationsAsync();

        Assert.False((await RowAsync(project)).EvaluationsPending);
        Assert.DoesNotContain(await Catalog.PendingEvaluationsAsync(DateTimeOffset.MaxValue, 10_000), p => p.Project == project);
    }
}
