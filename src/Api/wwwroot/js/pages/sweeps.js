// Sweeps: estimate then start, live progress, results with a confidence interval per evaluator, CSV download.
import { get, post, download, enc } from '../api.js';
import { modelGroups, servedVia } from '../models.js';
import { h, svg, field, loading, empty, errorBox, badge, progressBar, poll, replace, fmtCost, fmtMs, fmtInt, fmtTime, fmtPrice } from '../dom.js';

const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'BUDGET_EXCEEDED']);
const finished = (c) => c.completed + c.failed + c.skipped;

export async function renderSweeps(main) {
  const listCard = h('section', { class: 'card table-card', 'aria-labelledby': 'sweeps-title' }, h('h2', { id: 'sweeps-title' }, 'Sweeps'), loading('Loading sweeps'));
  main.append(h('header', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Sweeps'),
    h('p', { class: 'muted' }, 'Replay many recorded traces with the same change and see whether quality, cost and latency moved.'))),
  loading('Loading models'));
  const form = await createForm();
  main.lastChild.replaceWith(form, listCard);

  let list;
  try {
    list = await get('/api/v1/sweeps');
  } catch (e) {
    replace(listCard, h('h2', { id: 'sweeps-title' }, 'Sweeps'), errorBox(e));
    return;
  }
  replace(listCard, h('h2', { id: 'sweeps-title' }, `Sweeps (${list.length})`), list.length ? h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, ['Name', 'Status', 'Traces', 'Change', 'Progress', 'Spend', 'Created'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map(s => h('tr', { dataset: { sweepId: s.id } },
      h('td', {}, h('a', { href: `#/sweeps/${enc(s.id)}` }, s.name)),
      h('td', {}, badge(s.status)),
      h('td', { class: 'small' }, s.filter),
      h('td', { class: 'small' }, describeOverrides(s.overrides)),
      h('td', { class: 'progress-cell' }, progressBar(finished(s.counts), s.counts.total, `Progress of ${s.name}`)),
      h('td', { class: 'num' }, fmtCost(s.spendUsd)),
      h('td', {}, fmtTime(s.createdAt))))))
    : empty('No sweeps yet. Pick the traces and the change above, estimate, then start.'));
}

function describeOverrides(o) {
  const parts = [];
  if (o?.model) parts.push(`model → ${o.model}`);
  if (o?.promptTemplateVersionId) parts.push(`template → ${o.promptTemplateVersionId}`);
  for (const [k, v] of Object.entries(o?.modelParameters ?? {})) parts.push(`${k} = ${v === null ? 'removed' : v}`);
  return parts.length ? parts.join(' · ') : 'as recorded';
}

async function createForm() {
  const models = await get('/api/v1/models');
  const name = h('input', { id: 'sweep-name', type: 'text', placeholder: 'cheaper model check', autocomplete: 'off' });
  const tags = h('input', { id: 'sweep-tags', type: 'text', placeholder: 'production' });
  const traceName = h('input', { id: 'sweep-trace-name', type: 'text', placeholder: 'support-agent' });
  const traceIds = h('input', { id: 'sweep-trace-ids', type: 'text', placeholder: 'id1, id2' });
  const limit = h('input', { id: 'sweep-limit', type: 'number', min: 1, max: 100000, step: 1, value: 100 });
  const model = h('select', { id: 'sweep-model' }, h('option', { value: '' }, 'Keep recorded'),
    modelGroups(models, modelOption));
  const temperature = h('input', { id: 'sweep-temperature', type: 'number', min: 0, max: 2, step: 0.1, placeholder: 'as recorded' });
  const maxInFlight = h('input', { id: 'sweep-max-in-flight', type: 'number', min: 1, step: 1, placeholder: 'server default' });
  const budget = h('input', { id: 'sweep-budget', type: 'number', min: 0, step: 'any', placeholder: 'none' });
  const threshold = h('input', { id: 'sweep-threshold', type: 'number', min: 0.01, max: 1, step: 0.01, placeholder: '0.1' });
  const estimateOut = h('div', { class: 'estimate', 'aria-live': 'polite', id: 'sweep-estimate' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const estimateButton = h('button', { type: 'button' }, 'Estimate');
  const start = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Start sweep');
  const list = (text) => text.split(',').map(s => s.trim()).filter(Boolean);
  const num = (input) => input.value === '' ? undefined : Number(input.value);

  const body = () => {
    const ids = list(traceIds.value);
    const filter = ids.length ? { traceIds: ids } : {
      ...(list(tags.value).length ? { tags: list(tags.value) } : {}),
      ...(traceName.value.trim() ? { name: traceName.value.trim() } : {}),
      ...(limit.value ? { limit: Number(limit.value) } : {}),
    };
    const overrides = {};
    if (model.value) overrides.model = model.value;
    if (temperature.value !== '') overrides.modelParameters = { temperature: Number(temperature.value) };
    return { ...(name.value.trim() ? { name: name.value.trim() } : {}), filter, overrides,
      maxInFlight: num(maxInFlight), budgetUsd: num(budget), regressionThreshold: num(threshold) };
  };
  // Any change invalidates the estimate: a sweep starts only after the estimate of exactly what will run is on screen.
  const invalidate = () => { start.disabled = true; replace(estimateOut); };

  estimateButton.addEventListener('click', async () => {
    message.textContent = '';
    replace(estimateOut, loading('Estimating'));
    try {
      const e = await post('/api/v1/sweeps/estimate', body());
      replace(estimateOut, estimateView(e));
      start.disabled = e.traces === 0;
      if (e.traces > 0) start.focus();
    } catch (err) {
      replace(estimateOut, errorBox(err));
    }
  });

  const form = h('form', { class: 'card', 'aria-labelledby': 'sweep-new-title' },
    h('h2', { id: 'sweep-new-title' }, 'New sweep'),
    h('fieldset', {}, h('legend', {}, 'Which traces'),
      h('div', { class: 'form-grid' }, field('Tags (all of)', tags), field('Trace name contains', traceName), field('At most', limit),
        field('Or trace ids', traceIds, 'Comma-separated; replaces the filter.'))),
    h('fieldset', {}, h('legend', {}, 'What changes'),
      h('div', { class: 'form-grid' }, field('Target model', model, 'Prices per 1M tokens (input / output).'), field('Temperature', temperature))),
    h('div', { class: 'form-grid' }, field('Sweep name', name), field('Replays at once', maxInFlight), field('Budget (USD)', budget, 'A hard cap: each replay reserves its cost before it starts.'),
      field('Regression threshold', threshold, 'Score drop that lists a trace as regressed.')),
    estimateOut, message,
    h('div', { class: 'form-actions' }, estimateButton, start, h('small', { class: 'hint' }, 'The estimate is shown before anything runs; changing the form asks for a new one.')));
  form.addEventListener('input', invalidate);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    start.disabled = true;
    message.textContent = '';
    try {
      const sweep = await post('/api/v1/sweeps', body());
      location.hash = `#/sweeps/${enc(sweep.id)}`;
    } catch (e) {
      message.textContent = e.message;
      start.disabled = false;
    }
  });
  return form;
}

function modelOption(m) {
  return h('option', { value: m.name, disabled: !m.served },
    `${m.name} — ${fmtPrice(m.inputPricePerMillion)} / ${fmtPrice(m.outputPricePerMillion)} · ${servedVia(m)}`);
}

function estimateView(e) {
  const budget = e.withinBudget === false ? h('div', { class: 'small worse' }, `Over the ${fmtCost(e.budgetUsd)} budget: the sweep would stop early.`)
    : e.withinBudget === true ? h('div', { class: 'small better' }, `Within the ${fmtCost(e.budgetUsd)} budget.`) : null;
  return h('section', { class: 'estimate-card', 'aria-label': 'Estimate' },
    h('div', { class: 'metrics-row' },
      metricBox('Traces', fmtInt(e.traces), 'estimate-traces'),
      metricBox('LLM calls', fmtInt(e.llmCalls)),
      metricBox('Tokens (recorded)', `${fmtInt(e.promptTokens)} in · ${fmtInt(e.completionTokens)} out`),
      metricBox('Estimated cost', e.estimatedCostUsd === null ? 'unknown' : fmtCost(e.estimatedCostUsd), 'estimate-cost', budget)),
    h('p', { class: 'small muted' }, e.message,
      e.unpricedModels?.length ? ` No price for ${e.unpricedModels.join(', ')}.` : ''),
    e.traces === 0 ? h('p', { class: 'worse' }, 'The filter matches no traces: change it before starting.') : null);
}

function metricBox(label, value, id, extra) {
  return h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, label), h('div', { class: 'metric-value', id }, value), extra ?? null);
}

export async function renderSweep(main, { params: [id] }) {
  const title = h('h1', { id: 'sweep-title' }, 'Sweep');
  const head = h('header', { class: 'page-head' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/sweeps' }, 'Sweeps'), ' / ', h('span', { class: 'mono' }, id)), title));
  const status = h('section', { class: 'card', 'aria-label': 'Sweep status' }, loading('Loading sweep'));
  const results = h('section', { class: 'card', 'aria-labelledby': 'results-title' }, h('h2', { id: 'results-title' }, 'Results'),
    empty('Results appear when the sweep ends.'));
  replace(main, head, status, results);
  const message = h('p', { class: 'form-error', role: 'alert' });
  const progress = h('div', { class: 'progress', role: 'progressbar', id: 'sweep-progress', 'aria-label': 'Sweep progress', 'aria-valuemin': 0 },
    h('div', { class: 'progress-fill' }), h('span', { class: 'progress-text' }));
  const line = h('p', { class: 'small muted', 'aria-live': 'polite' });
  const badgeSlot = h('span', {});
  const actions = h('div', { class: 'head-actions' });
  let built = false;
  let resultsStop = null;

  const act = (label, path, cls) => h('button', { type: 'button', class: cls, onclick: async (event) => {
    event.target.disabled = true;
    message.textContent = '';
    try { await post(`/api/v1/sweeps/${enc(id)}/${path}`); restart(); } catch (e) { message.textContent = e.message; event.target.disabled = false; }
  } }, label);

  const tick = async () => {
    let s;
    try { s = await get(`/api/v1/sweeps/${enc(id)}`); } catch (e) { replace(status, errorBox(e)); return e.status === 404; }
    if (!built) {
      built = true;
      replace(status, h('div', { class: 'section-head' }, badgeSlot, actions), progress, line,
        h('dl', { class: 'facts' },
          h('dt', {}, 'Traces'), h('dd', {}, s.filter),
          h('dt', {}, 'Change'), h('dd', {}, describeOverrides(s.overrides)),
          h('dt', {}, 'Replays at once'), h('dd', {}, String(s.maxInFlight)),
          h('dt', {}, 'Budget'), h('dd', {}, s.budgetUsd === null ? 'none' : fmtCost(s.budgetUsd)),
          h('dt', {}, 'Regression threshold'), h('dd', {}, String(s.regressionThreshold)),
          s.baselineSweepId ? [h('dt', {}, 'Baseline'), h('dd', {}, h('a', { href: `#/sweeps/${enc(s.baselineSweepId)}` }, s.baselineSweepId))] : null),
        message);
    }
    title.textContent = s.name;
    replace(badgeSlot, badge(s.status, { id: 'sweep-status' }));
    const c = s.counts;
    const done = finished(c);
    const pct = c.total ? Math.round(done / c.total * 100) : 0;
    progress.setAttribute('aria-valuemax', c.total);
    progress.setAttribute('aria-valuenow', done);
    progress.firstChild.style.width = `${pct}%`;
    progress.lastChild.textContent = `${done} / ${c.total}`;
    const terminal = TERMINAL.has(s.status);
    line.textContent = [`${c.queued} queued`, `${c.running} running`, `${c.completed} completed`, `${c.failed} failed`, c.skipped ? `${c.skipped} skipped` : null,
      `spend ${fmtCost(s.spendUsd)}`, !terminal && s.etaSeconds !== null ? `about ${fmtMs(s.etaSeconds * 1000)} left` : null,
      s.completedAt ? `ended ${fmtTime(s.completedAt)}` : null, s.stopReason].filter(Boolean).join(' · ');
    replace(actions, !terminal ? act('Cancel sweep', 'cancel', 'danger') : null, terminal && c.failed > 0 ? act(`Retry ${c.failed} failed`, 'retry-failed') : null);
    if (terminal && !resultsStop) resultsStop = showResults(results, id);
    return terminal;
  };
  let stop = poll(tick, 700);
  function restart() {
    stop();
    resultsStop?.();
    resultsStop = null;
    replace(results, h('h2', { id: 'results-title' }, 'Results'), empty('Results appear when the sweep ends.'));
    stop = poll(tick, 700);
  }
  return () => { stop(); resultsStop?.(); };
}

/**
 * Loads the results; replay traces are scored just after they complete, so while a completed trace has an original
 * score without its replay score the results are fetched again (for a short while).
 */
function showResults(container, id) {
  let tries = 0;
  let shown = false;
  return poll(async () => {
    let r;
    try { r = await get(`/api/v1/sweeps/${enc(id)}/results`); } catch (e) {
      replace(container, h('h2', { id: 'results-title' }, 'Results'), errorBox(e));
      return true;
    }
    const waiting = r.traces.filter(t => t.status === 'COMPLETED' && t.scores.some(p => p.original !== null && p.replay === null)).length;
    const settled = waiting === 0 || ++tries > 20;
    if (settled || !shown) {
      shown = true;
      replace(container, ...resultsView(r, id, settled ? 0 : waiting));
    }
    return settled;
  }, 1000);
}

function resultsView(r, id, waiting) {
  const names = new Map(r.evaluators.map(e => [e.evaluatorId, e.name]));
  const cost = r.cost, latency = r.latency;
  const csv = h('button', { type: 'button', id: 'sweep-csv', onclick: async (event) => {
    event.target.disabled = true;
    try { await download(`/api/v1/sweeps/${enc(id)}/results?format=csv`, `${id}.csv`); } finally { event.target.disabled = false; }
  } }, 'Download CSV');
  return [
    h('div', { class: 'section-head' }, h('h2', { id: 'results-title' }, 'Results'), csv),
    r.significantRegression ? h('p', { class: 'state state-error', role: 'alert' }, 'Significant regression: at least one evaluator got worse beyond chance.') : null,
    waiting ? h('div', { class: 'state', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `Waiting for the evaluators to score ${waiting} replay trace${waiting === 1 ? '' : 's'}…`) : null,
    h('div', { class: 'metrics-row' },
      metricBox('Cost original → replay', `${fmtCost(cost.originalTotal)} → ${fmtCost(cost.replayTotal)}`, null,
        cost.percentDelta !== null ? h('div', { class: `small ${cost.delta > 0 ? 'worse' : cost.delta < 0 ? 'better' : 'muted'}` }, `${cost.percentDelta > 0 ? '+' : ''}${cost.percentDelta.toFixed(1)} %`) : null),
      metricBox('Projected per month', `${fmtCost(cost.projectedMonthlyOriginal)} → ${fmtCost(cost.projectedMonthlyReplay)}`, null,
        h('div', { class: 'small muted' }, `at ${cost.tracesPerDay.toFixed(1)} traces a day`)),
      metricBox('Latency p50', `${fmtMs(latency.originalP50Ms)} → ${fmtMs(latency.replayP50Ms)}`),
      metricBox('Latency p95', `${fmtMs(latency.originalP95Ms)} → ${fmtMs(latency.replayP95Ms)}`)),
    h('h3', {}, 'Per evaluator: replay − original, mean and 95 % confidence interval'),
    r.evaluators.length ? ciChart(r.evaluators)
      : empty(h('span', {}, 'No evaluator scored both the originals and their replays. ', h('a', { href: '#/evaluators' }, 'Enabled evaluators'), ' score traces that arrive after they are created.')),
    h('h3', {}, `Regressions (${r.regressedTraces.length})`),
    r.regressedTraces.length ? h('table', { class: 'table regressions' },
      h('thead', {}, h('tr', {}, ['Trace', 'Evaluator', 'Original', 'Replay', 'Drop', ''].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, r.regressedTraces.map(x => h('tr', {},
        h('td', {}, h('a', { href: `#/traces/${enc(x.traceId)}` }, x.traceName), h('div', { class: 'small muted mono' }, x.traceId)),
        h('td', {}, names.get(x.evaluatorId) ?? x.evaluatorId),
        h('td', { class: 'num' }, fmtScore(x.original)), h('td', { class: 'num' }, fmtScore(x.replay)),
        h('td', { class: 'num worse' }, fmtScore(x.drop)),
        h('td', {}, x.replayTraceId ? h('a', { href: `#/compare/${enc(x.traceId)}/${enc(x.replayTraceId)}` }, 'Compare') : '—')))))
      : empty('No trace regressed by the threshold or more.'),
    r.failures.length ? [h('h3', {}, `Failures (${r.failures.length})`), h('table', { class: 'table failures' },
      h('thead', {}, h('tr', {}, ['Trace', 'Attempts', 'Reason'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, r.failures.map(f => h('tr', {},
        h('td', {}, h('a', { href: `#/traces/${enc(f.traceId)}` }, f.traceName)), h('td', { class: 'num' }, String(f.attempts)), h('td', { class: 'error-text' }, f.error)))))] : null,
  ];
}

const fmtScore = (v) => v === null || v === undefined ? '—' : Number(v).toFixed(3);
const VERDICT = { IMPROVED: 'better', REGRESSED: 'worse', NO_SIGNIFICANT_CHANGE: 'neutral' };

/** One row per evaluator: the CI as a bar around the mean difference on a shared scale, zero marked, coloured by verdict. */
function ciChart(evaluators) {
  const extent = Math.max(0.05, ...evaluators.flatMap(e => [Math.abs(e.ci.lower), Math.abs(e.ci.upper), Math.abs(e.meanDifference)]));
  const width = 240, rowH = 30, pad = 10;
  const x = (v) => width / 2 + (v / extent) * (width / 2 - pad);
  return h('table', { class: 'table ci-table' },
    h('thead', {}, h('tr', {}, ['Evaluator', 'Pairs', 'Original', 'Replay', `Difference (−${extent.toFixed(2)} … +${extent.toFixed(2)})`, 'p (Wilcoxon)', 'Verdict']
      .map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, evaluators.map(e => {
      // For a lower-is-better evaluator a negative difference is the good direction.
      const cls = VERDICT[e.verdict] ?? 'neutral';
      const signed = (v) => `${v > 0 ? '+' : ''}${v.toFixed(3)}`;
      return h('tr', { dataset: { evaluatorId: e.evaluatorId } },
        h('td', {}, e.name, e.higherIsBetter ? null : h('div', { class: 'small muted' }, 'lower is better')),
        h('td', { class: 'num' }, String(e.pairs)),
        h('td', { class: 'num' }, fmtScore(e.meanOriginal)), h('td', { class: 'num' }, fmtScore(e.meanReplay)),
        h('td', {}, h('div', { class: 'ci-cell' },
          svg('svg', { class: `ci ci-${cls}`, width, height: rowH, viewBox: `0 0 ${width} ${rowH}`, role: 'img',
            'aria-label': `mean difference ${signed(e.meanDifference)}, 95 % CI ${signed(e.ci.lower)} to ${signed(e.ci.upper)}` },
            svg('line', { x1: pad, x2: width - pad, y1: rowH / 2, y2: rowH / 2, class: 'ci-axis' }),
            svg('line', { x1: width / 2, x2: width / 2, y1: 3, y2: rowH - 3, class: 'ci-zero' }),
            svg('rect', { x: x(e.ci.lower), y: rowH / 2 - 5, width: Math.max(3, x(e.ci.upper) - x(e.ci.lower)), height: 10, rx: 4, class: 'ci-bar' }),
            svg('circle', { cx: x(e.meanDifference), cy: rowH / 2, r: 5, class: 'ci-mean' })),
          h('span', { class: `small ${cls}` }, `${signed(e.meanDifference)} [${signed(e.ci.lower)}, ${signed(e.ci.upper)}]`))),
        h('td', { class: 'num' }, e.wilcoxon ? Number(e.wilcoxon.pValue).toFixed(3) : '—'),
        h('td', { class: cls }, h('strong', {}, e.verdict.replaceAll('_', ' ').toLowerCase()),
          e.noise ? h('div', { class: 'small muted' }, e.noise.exceedsNoise ? 'beyond the baseline\'s noise' : 'within the baseline\'s noise') : null));
    })));
}
