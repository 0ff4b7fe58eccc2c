// Sweeps (issue 6). Written against the documented contract; field names are read defensively (pick) because the
// API is not on every server yet.
import { get, post, request, hasFeature, optional, enc, auth } from '../api.js';
import { h, svg, field, loading, empty, errorBox, notAvailable, badge, progressBar, poll, replace, fmtCost, fmtMs, fmtInt, fmtTime, fmtPrice } from '../dom.js';

const TERMINAL = new Set(['COMPLETED', 'CANCELLED', 'FAILED', 'BUDGET_EXCEEDED']);
const pick = (o, ...keys) => { for (const k of keys) { const v = k.split('.').reduce((x, p) => x?.[p], o); if (v !== undefined && v !== null) return v; } return null; };
const listOf = (v, key) => Array.isArray(v) ? v : Array.isArray(v?.[key]) ? v[key] : [];

function counts(s) {
  const c = s.counts ?? s;
  const completed = pick(c, 'completed') ?? 0, failed = pick(c, 'failed') ?? 0, running = pick(c, 'running') ?? 0, queued = pick(c, 'queued') ?? 0;
  const total = pick(c, 'total') ?? pick(s, 'total', 'traceCount') ?? completed + failed + running + queued;
  return { completed, failed, running, queued, total };
}

export async function renderSweeps(main) {
  const head = h('header', { class: 'page-head' }, h('h1', {}, 'Sweeps'));
  main.append(head, loading('Loading sweeps'));
  if (!await hasFeature('sweeps')) {
    replace(main, head, notAvailable('Sweeps', 'This server has no sweeps API yet (/api/v1/sweeps). Replays of single traces work from each trace\'s page.'));
    return;
  }
  const listCard = h('section', { class: 'card table-card', 'aria-label': 'Sweeps' }, loading('Loading sweeps'));
  replace(main, head, await createForm(), listCard);
  try {
    const result = await optional(() => get('/api/v1/sweeps'));
    if (result.unavailable) { replace(main, head, notAvailable('Sweeps')); return; }
    const list = listOf(result.value, 'sweeps');
    replace(listCard, list.length ? h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Name', 'Status', 'Progress', 'Spend', 'Created'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map(s => {
        const c = counts(s);
        return h('tr', {},
          h('td', {}, h('a', { href: `#/sweeps/${enc(s.id)}` }, s.name ?? s.id)), h('td', {}, badge(s.status)),
          h('td', {}, progressBar(c.completed + c.failed, c.total, `Progress of ${s.name ?? s.id}`)),
          h('td', {}, fmtCost(pick(s, 'spendUsd', 'spentUsd', 'spend', 'costSoFar'))), h('td', {}, fmtTime(s.createdAt)));
      })))
      : empty('No sweeps yet. Estimate one above, then start it.'));
  } catch (e) {
    replace(listCard, errorBox(e));
  }
}

async function createForm() {
  const models = await get('/api/v1/models');
  const name = h('input', { id: 'sweep-name', type: 'text', required: true, value: 'cheaper model check' });
  const tags = h('input', { id: 'sweep-tags', type: 'text', placeholder: 'production' });
  const traceName = h('input', { id: 'sweep-trace-name', type: 'text' });
  const traceIds = h('input', { id: 'sweep-trace-ids', type: 'text', placeholder: 'id1, id2 (instead of the filter)' });
  const limit = h('input', { id: 'sweep-limit', type: 'number', min: 1, value: 100 });
  const model = h('select', { id: 'sweep-model' }, h('option', { value: '' }, 'Keep recorded'),
    models.map(m => h('option', { value: m.name, disabled: !m.served }, `${m.name} — ${fmtPrice(m.inputPricePerMillion)} / ${fmtPrice(m.outputPricePerMillion)}${m.served ? '' : ' · not served'}`)));
  const temperature = h('input', { id: 'sweep-temperature', type: 'number', min: 0, max: 2, step: 0.1, placeholder: 'as recorded' });
  const budget = h('input', { id: 'sweep-budget', type: 'number', min: 0, step: 0.01, placeholder: 'none' });
  const threshold = h('input', { id: 'sweep-threshold', type: 'number', min: 0, max: 1, step: 0.01, placeholder: 'default' });
  const estimateOut = h('div', { class: 'estimate', 'aria-live': 'polite' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const estimateButton = h('button', { type: 'button' }, 'Estimate');
  const start = h('button', { type: 'submit', class: 'primary', disabled: true }, 'Start sweep');

  const body = () => {
    const ids = traceIds.value.split(',').map(s => s.trim()).filter(Boolean);
    const filter = ids.length ? { traceIds: ids } : {
      ...(tags.value.trim() ? { tags: tags.value.split(',').map(t => t.trim()).filter(Boolean) } : {}),
      ...(traceName.value.trim() ? { name: traceName.value.trim() } : {}),
      ...(limit.value ? { limit: Number(limit.value) } : {}),
    };
    const overrides = {};
    if (model.value) overrides.model = model.value;
    if (temperature.value !== '') overrides.modelParameters = { temperature: Number(temperature.value) };
    return { name: name.value.trim(), filter, overrides,
      ...(budget.value ? { budgetUsd: Number(budget.value) } : {}),
      ...(threshold.value ? { regressionThreshold: Number(threshold.value) } : {}) };
  };
  // Any change invalidates the estimate: the sweep starts only with the estimate of what will run on screen.
  const invalidate = () => { start.disabled = true; replace(estimateOut); };

  estimateButton.addEventListener('click', async () => {
    message.textContent = '';
    replace(estimateOut, loading('Estimating'));
    try {
      const e = await post('/api/v1/sweeps/estimate', body());
      const cost = pick(e, 'estimatedCostUsd', 'estimatedCost', 'costUsd');
      replace(estimateOut, h('div', { class: 'metrics-row' },
        h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'Traces'), h('div', { class: 'metric-value', id: 'estimate-traces' }, fmtInt(pick(e, 'traceCount', 'traces')))),
        h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'LLM calls'), h('div', { class: 'metric-value' }, fmtInt(pick(e, 'llmCalls', 'llmCallCount')))),
        h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'Estimated cost'), h('div', { class: 'metric-value' }, cost === null ? 'unknown price' : fmtCost(cost)),
          pick(e, 'note', 'message') ? h('div', { class: 'small muted' }, pick(e, 'note', 'message')) : null)));
      start.disabled = false;
    } catch (err) {
      replace(estimateOut, errorBox(err));
    }
  });

  const form = h('form', { class: 'card', 'aria-labelledby': 'sweep-new-title' },
    h('h2', { id: 'sweep-new-title' }, 'New sweep'),
    h('div', { class: 'form-grid' }, field('Name', name), field('Target model', model), field('Temperature', temperature)),
    h('fieldset', {}, h('legend', {}, 'Which traces'),
      h('div', { class: 'form-grid' }, field('Tags (all of)', tags), field('Trace name contains', traceName), field('At most', limit), field('Or trace ids', traceIds))),
    h('div', { class: 'form-grid' }, field('Budget (USD)', budget), field('Regression threshold', threshold, 'Score drop that lists a trace as regressed.')),
    estimateOut, message,
    h('div', { class: 'form-actions' }, estimateButton, start, h('small', { class: 'hint' }, 'The estimate is shown before anything runs.')));
  form.addEventListener('input', invalidate);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    start.disabled = true;
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

export async function renderSweep(main, { params: [id] }) {
  const head = h('header', { class: 'page-head' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/sweeps' }, 'Sweeps'), ' / ', h('span', { class: 'mono' }, id)), h('h1', { id: 'sweep-title' }, 'Sweep')));
  if (!await hasFeature('sweeps')) {
    replace(main, head, notAvailable('Sweeps'));
    return;
  }
  const status = h('section', { class: 'card', 'aria-label': 'Sweep status', 'aria-live': 'polite' }, loading('Loading sweep'));
  const results = h('section', { class: 'card', 'aria-labelledby': 'results-title' }, h('h2', { id: 'results-title' }, 'Results'), empty('Results appear when the sweep finishes.'));
  replace(main, head, status, results);
  let resultsShown = false;
  const stop = poll(async () => {
    let s;
    try { s = await get(`/api/v1/sweeps/${enc(id)}`); } catch (e) { replace(status, errorBox(e)); return e.status === 404; }
    head.querySelector('h1').textContent = s.name ?? 'Sweep';
    const c = counts(s);
    const actions = [];
    if (!TERMINAL.has(s.status)) actions.push(h('button', { type: 'button', class: 'danger', onclick: () => post(`/api/v1/sweeps/${enc(id)}/cancel`).catch(e => alert(e.message)) }, 'Cancel'));
    if (TERMINAL.has(s.status) && c.failed > 0) actions.push(h('button', { type: 'button', onclick: () => post(`/api/v1/sweeps/${enc(id)}/retry-failed`).then(() => location.reload()).catch(e => alert(e.message)) }, 'Retry failed'));
    const eta = pick(s, 'etaSeconds', 'eta');
    replace(status,
      h('div', { class: 'section-head' }, badge(s.status, { id: 'sweep-status' }), h('div', { class: 'head-actions' }, actions)),
      progressBar(c.completed + c.failed, c.total, 'Sweep progress'),
      h('p', { class: 'small muted' }, `${c.queued} queued · ${c.running} running · ${c.completed} completed · ${c.failed} failed · spend ${fmtCost(pick(s, 'spendUsd', 'spentUsd', 'spend', 'costSoFar'))}`,
        eta !== null && !TERMINAL.has(s.status) ? ` · ETA ${typeof eta === 'number' ? fmtMs(eta * 1000) : eta}` : ''));
    if (TERMINAL.has(s.status) && !resultsShown) {
      resultsShown = true;
      await showResults(results, id);
    }
    return TERMINAL.has(s.status);
  }, 1000);
  return stop;
}

async function showResults(container, id) {
  replace(container, h('h2', { id: 'results-title' }, 'Results'), loading('Loading results'));
  let r;
  try { r = await get(`/api/v1/sweeps/${enc(id)}/results`); } catch (e) { replace(container, h('h2', { id: 'results-title' }, 'Results'), errorBox(e)); return; }
  const evaluators = listOf(r, 'evaluators');
  const regressions = listOf(r, 'regressions');
  const failures = listOf(r, 'failures');
  const cost = r.cost ?? {};
  const latency = r.latency ?? {};
  const download = h('button', { type: 'button', onclick: () => downloadCsv(id) }, 'Download CSV');
  replace(container,
    h('div', { class: 'section-head' }, h('h2', { id: 'results-title' }, 'Results'), download),
    h('div', { class: 'metrics-row' },
      h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'Cost original → replay'), h('div', { class: 'metric-value' }, `${fmtCost(pick(cost, 'original', 'totalOriginal'))} → ${fmtCost(pick(cost, 'replay', 'totalReplay'))}`)),
      h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'Projected monthly'), h('div', { class: 'metric-value' }, fmtCost(pick(cost, 'projectedMonthly', 'projectedMonthlyReplay')))),
      h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'Latency p50'), h('div', { class: 'metric-value' }, `${fmtMs(pick(latency, 'p50Original', 'original.p50'))} → ${fmtMs(pick(latency, 'p50Replay', 'replay.p50'))}`)),
      h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, 'Latency p95'), h('div', { class: 'metric-value' }, `${fmtMs(pick(latency, 'p95Original', 'original.p95'))} → ${fmtMs(pick(latency, 'p95Replay', 'replay.p95'))}`))),
    h('h3', {}, 'Per evaluator (mean paired difference, 95 % confidence interval)'),
    evaluators.length ? ciChart(evaluators) : empty('No evaluator scored these traces.'),
    h('h3', {}, `Regressions (${regressions.length})`),
    regressions.length ? h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Trace', 'Evaluator', 'Original', 'Replay', 'Drop'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, regressions.map(x => h('tr', {},
        h('td', {}, h('a', { href: `#/traces/${enc(x.traceId)}` }, x.traceName ?? x.traceId)),
        h('td', {}, pick(x, 'evaluator', 'evaluatorName', 'name') ?? ''),
        h('td', {}, fmtScore(pick(x, 'original', 'scoreOriginal'))), h('td', {}, fmtScore(pick(x, 'replay', 'scoreReplay'))),
        h('td', { class: 'worse' }, fmtScore(pick(x, 'drop', 'delta')))))))
      : empty('No trace regressed beyond the threshold.'),
    failures.length ? [h('h3', {}, `Failures (${failures.length})`), h('ul', {}, failures.map(f => h('li', {}, h('code', {}, f.traceId ?? ''), ': ', pick(f, 'reason', 'message', 'error') ?? '')))] : null);
}

const fmtScore = (v) => v === null ? '—' : Number(v).toFixed(3);

/** One row per evaluator: the CI as a bar around its mean difference, zero marked; coloured by verdict. */
function ciChart(evaluators) {
  const rows = evaluators.map(e => ({
    name: pick(e, 'name', 'evaluatorName', 'evaluatorId') ?? '?',
    mean: pick(e, 'meanDifference', 'meanDiff', 'delta') ?? 0,
    low: pick(e, 'ciLow', 'ci.low', 'confidenceInterval.low', 'ci95.low') ?? 0,
    high: pick(e, 'ciHigh', 'ci.high', 'confidenceInterval.high', 'ci95.high') ?? 0,
    a: pick(e, 'meanOriginal'), b: pick(e, 'meanReplay'), p: pick(e, 'pValue', 'wilcoxonPValue'),
    verdict: String(pick(e, 'verdict') ?? 'NO_SIGNIFICANT_CHANGE').toUpperCase(),
  }));
  const extent = Math.max(0.05, ...rows.flatMap(r => [Math.abs(r.low), Math.abs(r.high)]));
  const width = 320, rowH = 28;
  const x = (v) => width / 2 + (v / extent) * (width / 2 - 8);
  return h('table', { class: 'table ci-table' },
    h('thead', {}, h('tr', {}, ['Evaluator', 'Original', 'Replay', 'Difference and 95 % CI', 'p', 'Verdict'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows.map(r => {
      const cls = r.verdict.startsWith('IMPROVED') ? 'better' : r.verdict.startsWith('REGRESSED') ? 'worse' : 'neutral';
      return h('tr', {},
        h('td', {}, r.name), h('td', {}, fmtScore(r.a)), h('td', {}, fmtScore(r.b)),
        h('td', {}, svg('svg', { class: `ci ci-${cls}`, width, height: rowH, viewBox: `0 0 ${width} ${rowH}`, role: 'img', 'aria-label': `mean ${r.mean.toFixed(3)}, CI ${r.low.toFixed(3)} to ${r.high.toFixed(3)}` },
          svg('line', { x1: width / 2, x2: width / 2, y1: 2, y2: rowH - 2, class: 'ci-zero' }),
          svg('rect', { x: x(r.low), y: rowH / 2 - 4, width: Math.max(2, x(r.high) - x(r.low)), height: 8, rx: 3, class: 'ci-bar' }),
          svg('circle', { cx: x(r.mean), cy: rowH / 2, r: 4, class: 'ci-mean' }))),
        h('td', {}, r.p === null ? '—' : Number(r.p).toFixed(3)),
        h('td', { class: cls }, r.verdict.replaceAll('_', ' ').toLowerCase()));
    })));
}

async function downloadCsv(id) {
  const response = await request(`/api/v1/sweeps/${enc(id)}/results?format=csv`, { raw: true, key: auth.key });
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `sweep-${id}.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
