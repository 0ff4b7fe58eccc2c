using System.Globalization;
using System.Text;
using System.Text.Json.Serialization;
using CsvHelper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using TraceReplay.Api.Infrastructure;
using TraceReplay.Grains;
using TraceReplay.Grains.Sweeps;
using TraceReplay.Grains.Traces;

namespace TraceReplay.Api.Apis;

/// <summary>
/// What the sweep handlers need, bundled for <c>[AsParameters]</c>. Models and prices, also for <c>?repriceAt=now</c>,
/// come from the silo's <see cref="IModelCatalogGrain"/>.
/// </summary>
public sealed record SweepServices(
    IClusterClient Grains, ITraceCatalog Catalog, SweepStatuses Statuses,
    IOptions<ApiOptions> ApiOptions, IOptions<SweepOptions> SweepOptions, IOptions<LimitOptions> LimitOptions,
    IOptions<RetentionOptions> RetentionOptions, TimeProvider Time, ProjectContext Project)
{
    /// <summary>The silo's model catalog: which models are served and their prices.</summary>
    public IModelCatalogGrain Models => Grains.GetGrain<IModelCatalogGrain>(0);

    /// <summary>The caller's project's sweep; null when there is none of that id in the project.</summary>
    public Task<SweepSnapshot?> FindSweepAsync(string sweepId) => Statuses.FindAsync(Project.Id, sweepId);
}

public sealed record SweepCountsDto(int Total, int Queued, int Running, int Completed, int Failed, int Skipped);

public sealed record SweepDto(
    string Id, string Name, SweepStatus Status, string Filter, OverridesDto Overrides, int MaxInFlight, decimal? BudgetUsd,
    double RegressionThreshold, string? BaselineSweepId, SweepCountsDto Counts, decimal SpendUsd, DateTimeOffset CreatedAt,
    DateTimeOffset? StartedAt, DateTimeOffset? CompletedAt, double? EtaSeconds, string? StopReason,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] PricingDto? Pricing = null);

/// <summary>
/// The prices a sweep's costs are at: its snapshot (taken when it was created), or today's when the results were
/// asked for with <c>?repriceAt=now</c> (<c>repriced</c> true).
/// </summary>
public sealed record PricingDto(DateTimeOffset PricesAsOf, bool Repriced, IReadOnlyList<PriceDto> Prices, string Note);

public sealed record SweepEstimateDto(
    int Traces, int LlmCalls, long PromptTokens, long CompletionTokens, string? Model, decimal? EstimatedCostUsd,
    IReadOnlyList<string> UnpricedModels, decimal? BudgetUsd, bool? WithinBudget, string Message, PricingDto? Pricing = null);

public sealed record SweepResultsDto(
    SweepDto Sweep, bool SignificantRegression, IReadOnlyList<EvaluatorStatistics> Evaluators, IReadOnlyList<RegressedTrace> RegressedTraces,
    CostSummary Cost, LatencySummary Latency, IReadOnlyList<FailedTrace> Failures, IReadOnlyList<CohortReport> Cohorts,
    IReadOnlyList<TraceOutcome> Traces, DecisionSummary? Decisions, PricingDto? Pricing = null);

/// <summary>Regression sweeps: replay many traces with the same overrides and compare quality, cost and latency.</summary>
public static class SweepsApi
{
    private const int ParallelTraceReads = 32;

    public static IEndpointRouteBuilder MapSweepsApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v1/sweeps").WithTags("Sweeps");
        group.MapPost("/", StartSweep).WithName("StartSweep").WithSummary("Start a sweep over the traces a filter selects; answers at once")
            .DocumentsBody<StartSweepRequest>().ProducesErrors(400, 409, 413);
        group.MapPost("/estimate", EstimateSweep).WithName("EstimateSweep")
            .WithSummary("Trace count, LLM calls and estimated cost of a sweep, before anything runs")
            .DocumentsBody<StartSweepRequest>().ProducesErrors(400, 413);
        group.MapGet("/", ListSweeps).WithName("ListSweeps").WithSummary("The project's sweeps, newest first");
        group.MapGet("/{sweepId}", GetSweep).WithName("GetSweep").WithSummary("A sweep's status, counts, spend and ETA").ProducesErrors(404);
        group.MapDelete("/{sweepId}", DeleteSweep).WithName("DeleteSweep")
            .WithSummary("Delete a finished sweep and release its pins, so retention may purge its traces").ProducesErrors(404, 409);
        group.MapPost("/{sweepId}/cancel", CancelSweep).WithName("CancelSweep").WithSummary("Start no more replays; in-flight ones finish")
            .ProducesErrors(404, 409);
        group.MapPost("/{sweepId}/retry-failed", RetryFailed).WithName("RetryFailedSweepTraces").WithSummary("Queue the failed traces again")
            .ProducesErrors(404, 409);
        group.MapGet("/{sweepId}/results", GetResults).WithName("GetSweepResults")
            .WithSummary("Per-evaluator statistics, regressed traces, cost, latency, failures and cohorts; ?format=csv for one row per trace")
            .ProducesErrors(400, 404);
        return app;
    }

    public static async Task<Results<Accepted<DataEnvelope<SweepDto>>, JsonHttpResult<ApiErrorBody>>> StartSweep(
        StartSweepRequest body, [AsParameters] SweepServices services, CancellationToken cancellationToken)
    {
        var (parsed, error) = await ServedAsync(body, services);
        if (error is not null)
        {
            return error;
        }

        SweepSnapshot? baseline = null;
        if (parsed!.BaselineSweepId is { } baselineId && (baseline = await services.FindSweepAsync(baselineId)) is null)
        {
            return ApiErrors.Validation($"baselineSweepId: sweep '{baselineId}' not found.");
        }

        var (targets, resolveError) = await SweepTraceResolver.ResolveAsync(
            parsed.Filter, services.Project.Id, services.Catalog, cancellationToken);
        if (resolveError is not null)
        {
            return ApiErrors.Validation(resolveError);
        }

        if (targets.Count == 0)
        {
            return ApiErrors.Validation($"filter matched no traces ({parsed.Filter.Describe()}).");
        }

        // The sweep pins its sources, their replay traces and its baseline's traces; counted before it starts.
        var pinsNeeded = 2L * (targets.Count + (baseline?.Counts.Total ?? 0));
        var pinLimit = services.RetentionOptions.Value.MaxPinnedTraces;
        if (await services.Catalog.CountPinsAsync(services.Project.Id, cancellationToken) is var pins && pins + pinsNeeded > pinLimit)
        {
            return ApiErrors.Conflict(
                $"the sweep would pin up to {pinsNeeded} traces (its sources, their replays and its baseline's) and the project already holds {pins} pins; " +
                $"the limit (TraceReplay:Retention:MaxPinnedTraces) is {pinLimit}. Delete finished sweeps or unpin traces first.");
        }

        var now = services.Time.GetUtcNow();
        var sweepId = "swp_" + Guid.NewGuid().ToString("N");
        var definition = new SweepDefinition(
            parsed.Name ?? $"sweep {now:yyyy-MM-dd HH:mm}", services.Project.Id, targets, parsed.Overrides, parsed.MaxInFlight,
            parsed.BudgetUsd, parsed.RegressionThreshold, parsed.BaselineSweepId, now, parsed.Filter.Describe(),
            await PriceSnapshotAsync(services.Models, parsed.Overrides, targets, now), parsed.ScoreOriginals);
        var limit = services.LimitOptions.Value.MaxSweepsPerProject;
        if (!await services.Grains.GetGrain<IProjectQuotaGrain>(services.Project.Id).TryAcquireAsync(QuotaKind.Sweeps, sweepId, limit))
        {
            return ApiErrors.LimitExceeded($"the project already has {limit} sweeps pending or running, its limit; wait for one to finish or cancel one.");
        }

        var grain = services.Grains.GetGrain<ISweepGrain>(sweepId);
        SweepSnapshot sweep;
        try
        {
            sweep = await grain.StartInPagesAsync(definition);
        }
        catch
        {
            await ReleaseUnstartedSlotAsync(services, grain, sweepId);
            throw;
        }

        return TypedResults.Accepted($"/api/v1/sweeps/{sweepId}", new DataEnvelope<SweepDto>(sweep.ToDto()));
    }

    /// <summary>
    /// A start that failed (staging or starting) gives the project's sweep slot back, unless the sweep did start (a
    /// failure after its state was stored) or cannot be asked: then the quota grain's pruning finds out later.
    /// </summary>
    private static async Task ReleaseUnstartedSlotAsync(SweepServices services, ISweepGrain sweep, string sweepId)
    {
        try
        {
            if (await sweep.GetAsync() is null)
            {
                await services.Grains.GetGrain<IProjectQuotaGrain>(services.Project.Id).ReleaseAsync(QuotaKind.Sweeps, sweepId);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The start's own failure is the one the caller answers; this one only leaves the slot to the pruning.
        }
    }

    public static async Task<Results<Ok<DataEnvelope<SweepEstimateDto>>, JsonHttpResult<ApiErrorBody>>> EstimateSweep(
        StartSweepRequest body, [AsParameters] SweepServices services, CancellationToken cancellationToken)
    {
        var (parsed, error) = await ServedAsync(body, services);
        if (error is not null)
        {
            return error;
        }

        var (targets, resolveError) = await SweepTraceResolver.ResolveAsync(
            parsed!.Filter, services.Project.Id, services.Catalog, cancellationToken);
        if (resolveError is not null)
        {
            return ApiErrors.Validation(resolveError);
        }

        var snapshot = await PriceSnapshotAsync(services.Models, parsed.Overrides, targets, services.Time.GetUtcNow());
        var estimates = new List<ReplayEstimate>(targets.Count);
        await Parallel.ForEachAsync(targets, new ParallelOptions { MaxDegreeOfParallelism = ParallelTraceReads, CancellationToken = cancellationToken },
            async (target, _) =>
            {
                if (await services.Grains.GetGrain<ITraceGrain>(TraceKeys.For(services.Project.Id, target.TraceId)).GetAsync() is { } trace)
                {
                    var estimate = ReplayEstimates.Estimate(trace, parsed.Overrides, snapshot);
                    lock (estimates)
                    {
                        estimates.Add(estimate);
                    }
                }
            });

        var total = ReplayEstimates.Sum(estimates);
        var withinBudget = parsed.BudgetUsd is { } budget && total.Cost is { } cost ? cost <= budget : (bool?)null;
        var message = total.Cost is { } usd
            ? $"{targets.Count} traces, {total.LlmCalls} LLM calls, about ${usd:0.####} at the recorded token counts and the prices of {snapshot.TakenAt:yyyy-MM-dd}."
            : $"{targets.Count} traces, {total.LlmCalls} LLM calls; the cost is unknown: no price for {string.Join(", ", total.UnpricedModels)}.";
        return TypedResults.Ok(new DataEnvelope<SweepEstimateDto>(new SweepEstimateDto(
            targets.Count, total.LlmCalls, total.PromptTokens, total.CompletionTokens, parsed.Overrides.Model, total.Cost,
            total.UnpricedModels, parsed.BudgetUsd, withinBudget, message, Pricing(snapshot, repriced: false))));
    }

    public static async Task<Ok<DataEnvelope<IReadOnlyList<SweepDto>>>> ListSweeps([AsParameters] SweepServices services)
    {
        var sweeps = await services.Statuses.ListAsync(services.Project.Id);
        return TypedResults.Ok(new DataEnvelope<IReadOnlyList<SweepDto>>([.. sweeps.Select(s => s.ToDto())]));
    }

    public static async Task<Results<Ok<DataEnvelope<SweepDto>>, JsonHttpResult<ApiErrorBody>>> GetSweep(string sweepId, [AsParameters] SweepServices services)
    {
        var sweep = await services.FindSweepAsync(sweepId);
        return sweep is null ? ApiErrors.NotFound($"sweep '{sweepId}' not found.") : TypedResults.Ok(new DataEnvelope<SweepDto>(sweep.ToDto()));
    }

    public static async Task<Results<NoContent, JsonHttpResult<ApiErrorBody>>> DeleteSweep(string sweepId, [AsParameters] SweepServices services)
    {
        if (await services.FindSweepAsync(sweepId) is null)
        {
            return ApiErrors.NotFound($"sweep '{sweepId}' not found.");
        }

        var result = await services.Grains.GetGrain<ISweepGrain>(sweepId).DeleteAsync();
        return result.Error is not null ? ApiErrors.From(result.Error) : TypedResults.NoContent();
    }

    public static async Task<Results<Ok<DataEnvelope<SweepDto>>, JsonHttpResult<ApiErrorBody>>> CancelSweep(
        string sweepId, [AsParameters] SweepServices services) =>
        await services.FindSweepAsync(sweepId) is null
            ? ApiErrors.NotFound($"sweep '{sweepId}' not found.")
            : Answer(await services.Grains.GetGrain<ISweepGrain>(sweepId).CancelAsync());

    public static async Task<Results<Ok<DataEnvelope<SweepDto>>, JsonHttpResult<ApiErrorBody>>> RetryFailed(
        string sweepId, [AsParameters] SweepServices services) =>
        await services.FindSweepAsync(sweepId) is null
            ? ApiErrors.NotFound($"sweep '{sweepId}' not found.")
            : Answer(await services.Grains.GetGrain<ISweepGrain>(sweepId).RetryFailedAsync());

    public static async Task<Results<Ok<DataEnvelope<SweepResultsDto>>, FileContentHttpResult, JsonHttpResult<ApiErrorBody>>> GetResults(
        string sweepId, string? format, string? repriceAt, [AsParameters] SweepServices services, CancellationToken cancellationToken)
    {
        if (format is not (null or "json" or "csv"))
        {
            return ApiErrors.Validation($"format must be json or csv; got '{format}'.");
        }

        if (repriceAt is not (null or "now"))
        {
            return ApiErrors.Validation($"repriceAt must be 'now' (today's prices); got '{repriceAt}'. Without it, costs are at the sweep's price snapshot.");
        }

        var report = await services.FindSweepAsync(sweepId) is null
            ? null
            : await SweepReportLoader.LoadAsync(services.Grains, sweepId, repriceAt is null ? null : services.Time.GetUtcNow(), cancellationToken);
        if (report is null)
        {
            return ApiErrors.NotFound($"sweep '{sweepId}' not found.");
        }

        var pricing = report.Repriced is { } today ? Pricing(today, repriced: true) : report.Sweep.Prices is { } snapshot ? Pricing(snapshot, repriced: false) : null;
        if (format == "csv")
        {
            return TypedResults.File(SweepCsv.Write(report, pricing), "text/csv; charset=utf-8", $"{sweepId}.csv");
        }

        return TypedResults.Ok(new DataEnvelope<SweepResultsDto>(new SweepResultsDto(
            report.Sweep.ToDto(), report.SignificantRegression, report.Evaluators, report.RegressedTraces, report.Cost, report.Latency,
            report.Failures, report.Cohorts, report.Traces, report.Decisions, pricing)));
    }

    /// <summary>The prices a sweep replays with: its override model's, else those of the models its traces used.</summary>
    private static Task<PriceSnapshot> PriceSnapshotAsync(IModelCatalogGrain models, ReplayOverrides overrides, IReadOnlyList<SweepTarget> targets, DateTimeOffset at) =>
        models.SnapshotAsync(overrides.Model is { } model ? [model] : [.. targets.SelectMany(t => t.Models ?? []).Distinct(StringComparer.OrdinalIgnoreCase)], at);

    private static PricingDto Pricing(PriceSnapshot snapshot, bool repriced) => new(
        snapshot.TakenAt, repriced, [.. snapshot.Prices.Select(PriceDto.From)],
        repriced
            ? $"Costs recomputed at the prices in force on {snapshot.TakenAt:yyyy-MM-dd}, not the ones the replays were charged at."
            : $"Replay costs at the sweep's price snapshot of {snapshot.TakenAt:yyyy-MM-dd}; original costs as recorded.");

    public static SweepDto ToDto(this SweepSnapshot sweep) => new(
        sweep.Id, sweep.Name, sweep.Status, sweep.FilterDescription,
        OverridesDto.From(sweep.Overrides),
        sweep.MaxInFlight, sweep.BudgetUsd, sweep.RegressionThreshold, sweep.BaselineSweepId,
        new SweepCountsDto(sweep.Counts.Total, sweep.Counts.Queued, sweep.Counts.Running, sweep.Counts.Completed, sweep.Counts.Failed, sweep.Counts.Skipped),
        sweep.SpendUsd, sweep.CreatedAt, sweep.StartedAt, sweep.CompletedAt, sweep.EstimatedTimeRemaining is { } eta ? Math.Round(eta.TotalSeconds, 1) : null,
        sweep.StopReason, sweep.Prices is { } prices ? Pricing(prices, repriced: false) : null);

    private static Results<Ok<DataEnvelope<SweepDto>>, JsonHttpResult<ApiErrorBody>> Answer(SweepResult result) =>
        result.Error is not null ? ApiErrors.From(result.Error) : TypedResults.Ok(new DataEnvelope<SweepDto>(result.Sweep!.ToDto()));

    /// <summary>The validated body shared by start and estimate, once a provider is known to serve its model.</summary>
    private static async Task<(SweepRequest? Request, JsonHttpResult<ApiErrorBody>? Error)> ServedAsync(StartSweepRequest body, SweepServices services)
    {
        var parsed = body.ToRequest();
        if (parsed.Overrides.Model is not { } model || await services.Models.ServingAsync(model) is not { Served: false } serving)
        {
            return (parsed, null);
        }

        return (null, ApiErrors.Validation(
            $"overrides.model '{model}' is not served by any configured provider. Served models: {string.Join(", ", serving.ServedModels)}."));
    }
}

/// <summary>
/// One CSV row per trace (CsvHelper): outcome, cost each side with the date of the prices they are at, duration each
/// side, decision agreement and divergence, then each evaluator's scores and delta. Text fields are escaped against
/// formula injection; numbers stay numbers.
/// </summary>
public static class SweepCsv
{
    public static byte[] Write(SweepReport report, PricingDto? pricing = null)
    {
        var pricesAsOf = pricing is null ? null : pricing.PricesAsOf.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture) + (pricing.Repriced ? " (repriced)" : "");
        var evaluators = report.Traces.SelectMany(t => t.Scores.Select(s => s.EvaluatorId)).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();

        // Columns are named by evaluator name; the id stands in for an evaluator without statistics, or when two share a name.
        var names = report.Evaluators.GroupBy(e => e.EvaluatorId).ToDictionary(g => g.Key, g => g.First().Name, StringComparer.Ordinal);
        string Column(string id) =>
            names.TryGetValue(id, out var name) && names.Count(n => n.Value == name) == 1 && !evaluators.Contains(name, StringComparer.Ordinal) ? name : id;
        using var text = new StringWriter(CultureInfo.InvariantCulture);
        using (var csv = new CsvWriter(text, CultureInfo.InvariantCulture))
        {
            string[] fixedColumns =
            [
                "trace_id", "trace_name", "status", "replay_id", "replay_trace_id", "original_cost_usd", "replay_cost_usd",
                "prices_as_of", "original_duration_ms", "replay_duration_ms", "error", "decision_spans", "decisions_agreed", "diverged_at_span",
                "divergence_reason",
            ];
            foreach (var column in fixedColumns.Concat(evaluators.Select(Column).SelectMany(e => new[] { $"{e}_original", $"{e}_replay", $"{e}_delta" })))
            {
                csv.WriteField(Text(column));
            }

            csv.NextRecord();
            foreach (var trace in report.Traces)
            {
                csv.WriteField(Text(trace.TraceId));
                csv.WriteField(Text(trace.TraceName));
                csv.WriteField(Text(trace.Status.ToString().ToUpperInvariant()));
                csv.WriteField(Text(trace.ReplayId));
                csv.WriteField(Text(trace.ReplayTraceId));
                csv.WriteField(trace.OriginalCost);
                csv.WriteField(trace.ReplayCost);
                csv.WriteField(pricesAsOf);
                csv.WriteField(trace.OriginalDurationMs);
                csv.WriteField(trace.ReplayDurationMs);
                csv.WriteField(Text(trace.Error));
                csv.WriteField(trace.Decisions?.Spans);
                csv.WriteField(trace.Decisions?.Agreed);
                csv.WriteField(Text(trace.Divergence?.SpanId));
                csv.WriteField(Text(trace.Divergence?.Reason));
                foreach (var evaluator in evaluators)
                {
                    var pair = trace.Scores.FirstOrDefault(s => s.EvaluatorId == evaluator);
                    csv.WriteField(pair?.Original);
                    csv.WriteField(pair?.Replay);
                    csv.WriteField(pair is { Original: { } a, Replay: { } b } ? b - a : (double?)null);
                }

                csv.NextRecord();
            }
        }

        return Encoding.UTF8.GetBytes(text.ToString());
    }

    /// <summary>
    /// A text field a spreadsheet will not run as a formula: one that starts with =, +, -, @, tab or carriage return
    /// gets a leading apostrophe (OWASP's CSV-injection rule). Numbers are written as numbers, never through this.
    /// </summary>
    public static string? Text(string? value) =>
        value is { Length: > 0 } && value[0] is '=' or '+' or '-' or '@' or '\t' or '\r' ? "'" + value : value;
}
