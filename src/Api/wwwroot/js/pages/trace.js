import { get, post, enc } from '../api.js';
import { h, field, loading, empty, errorBox, badge, simulatedMark, tag, metric, progressBar, poll, replace, json,
  fmtMs, fmtCost, fmtInt, fmtTime, fmtPrice } from '../dom.js';
import { flattenTree, kindIcon, payloadView } from '../spans.js';
import { modelGroups, servedVia } from '../models.js';

const PARAMETERS = [
  { key: 'temperature', label: 'Temperature', min: 0, max: 2, step: 0.1 },
  { key: 'max_tokens', label: 'Max tokens', min: 1, step: 1 },
  { key: 'top_p', label: 'Top p', min: 0, max: 1, step: 0.05 },
  { key: 'frequency_penalty', label: 'Frequency penalty', min: -2, max: 2, step: 0.1 },
  { key: 'presence_penalty', label: 'Presence penalty', min: -2, max: 2, step: 0.1 },
  { key: 'seed', label: 'Seed', step: 1 },
];
const FINISHED = new Set(['COMPLETED', 'FAILED']);

export async function renderTrace(main, { params: [traceId], query }) {
  main.append(loading('Loading trace'));
  let trace;
  try {
    trace = await get(`/api/v1/traces/${enc(traceId)}`);
  } catch (e) {
    replace(main, h('p', {}, h('a', { href: '#/traces' }, '← Traces')), errorBox(e));
    return;
  }
  const stops = [];
  const templateNames = new Map();   // version id → "name vN"
  const llmSpans = trace.spans.filter(s => s.type === 'LLM');

  // ---- header ---------------------------------------------------------------------------------------------
  const replayButton = h('button', { type: 'button', class: 'primary', 'aria-expanded': 'false', 'aria-controls': 'replay-panel', disabled: llmSpans.length === 0,
    title: llmSpans.length ? null : 'This trace has no LLM spans to replay' }, '⟲ Replay');
  const header = h('header', { class: 'page-head' },
    h('div', {},
      h('p', { class: 'crumbs' }, h('a', { href: '#/traces' }, 'Traces'), ' / ', h('span', { class: 'mono' }, trace.id)),
      h('h1', {}, trace.name, ' ', badge(trace.status), trace.simulated ? [' ', simulatedMark()] : null),
      trace.replayOf ? h('p', { class: 'lineage' }, '⟲ Replay of ', h('a', { href: `#/traces/${enc(trace.replayOf.traceId)}` }, trace.replayOf.traceId),
        ' · ', h('a', { href: `#/replays/${enc(trace.replayOf.replayId)}/compare` }, 'Compare with original')) : null),
    h('div', { class: 'head-actions' }, replayButton));

  const summary = h('section', { class: 'metrics-row', 'aria-label': 'Trace metrics' },
    metric('Duration', fmtMs(trace.durationMs)),
    metric('Tokens', fmtInt(trace.totalTokens), h('div', { class: 'muted small' }, `${fmtInt(trace.promptTokens)} in · ${fmtInt(trace.completionTokens)} out`)),
    metric('Cost', fmtCost(trace.totalCost)),
    metric('Spans', fmtInt(trace.spanCount)),
    metric('Started', fmtTime(trace.startTime)),
    trace.tags.length ? metric('Tags', h('div', {}, trace.tags.map(tag))) : null);

  // ---- replay panel ---------------------------------------------------------------------------------------
  const replayPanel = h('section', { id: 'replay-panel', class: 'card replay-panel', hidden: true, 'aria-label': 'Replay this trace' });
  const liveStatus = h('div', { class: 'replay-live', 'aria-live': 'polite' });
  let formBuilt = false;
  replayButton.addEventListener('click', async () => {
    const open = replayPanel.hidden;
    replayPanel.hidden = !open;
    replayButton.setAttribute('aria-expanded', String(open));
    if (open && !formBuilt) {
      formBuilt = true;
      replace(replayPanel, loading('Loading models and templates'));
      try {
        replace(replayPanel, await replayForm(), liveStatus);
      } catch (e) {
        formBuilt = false;
        replace(replayPanel, errorBox(e));
      }
    }
    if (open) replayPanel.querySelector('select, input, button')?.focus();
  });

  async function replayForm() {
    const [models, templateVersions] = await Promise.all([get('/api/v1/models'), loadTemplateVersions()]);
    const recordedModels = [...new Set(llmSpans.map(s => s.model).filter(Boolean))];
    const recordedTemplates = [...new Set(trace.spans.map(s => s.promptTemplateVersionId).filter(Boolean))].map(id => templateNames.get(id) ?? id);
    const modelSelect = h('select', { id: 'replay-model', name: 'model' },
      h('option', { value: '' }, `Keep recorded (${recordedModels.join(', ') || 'none'})`),
      modelGroups(models, modelOption));

    const templateSelect = h('select', { id: 'replay-template', name: 'promptTemplateVersionId', disabled: templateVersions.length === 0 },
      h('option', { value: '' }, templateVersions.length ? `Keep recorded (${recordedTemplates.join(', ')})` : 'This trace used no prompt template'),
      templateVersions.map(v => h('option', { value: v.id }, `${v.name} v${v.version}${v.commitMessage ? ' — ' + v.commitMessage : ''}`)));

    const recorded = llmSpans.find(s => s.modelParameters)?.modelParameters ?? {};
    const differs = llmSpans.some(s => json(s.modelParameters ?? {}) !== json(recorded));
    const paramInputs = PARAMETERS.map(p => {
      const input = h('input', { id: `replay-param-${p.key}`, name: p.key, type: 'number', inputmode: 'decimal', min: p.min, max: p.max, step: p.step,
        value: recorded[p.key] ?? '', placeholder: 'not set' });
      input.dataset.recorded = recorded[p.key] ?? '';
      return { p, input };
    });
    const others = Object.keys(recorded).filter(k => !PARAMETERS.some(p => p.key === k));

    const message = h('p', { class: 'form-error', role: 'alert' });
    const submit = h('button', { type: 'submit', class: 'primary' }, 'Start replay');
    const form = h('form', { class: 'replay-form', 'aria-labelledby': 'replay-title' },
      h('h2', { id: 'replay-title' }, 'Replay with overrides'),
      h('p', { class: 'muted' }, `Re-runs the ${llmSpans.length} LLM span${llmSpans.length === 1 ? '' : 's'} of this trace; tool and retrieval spans keep their recorded results.`),
      h('div', { class: 'form-grid' },
        field('Model', modelSelect, 'Grouped by provider; each model says who serves it. Prices per 1M tokens (input / output). Models no configured provider serves are shown but cannot be picked.'),
        field('Prompt template version', templateSelect)),
      h('fieldset', { class: 'params' },
        h('legend', {}, 'Model parameters'),
        h('div', { class: 'param-grid' }, paramInputs.map(({ p, input }) => field(p.label, input))),
        h('small', { class: 'hint' }, 'Prefilled with the recorded values', differs ? ' of the first LLM span (they differ between spans)' : '',
          '. Only the values you change are sent, and they apply to every LLM span; clear a field to remove that parameter.',
          others.length ? ` Other recorded parameters kept as they are: ${others.join(', ')}.` : '')),
      message,
      h('div', { class: 'form-actions' }, submit, h('button', { type: 'button', onclick: () => replayButton.click() }, 'Close')));

    form.addEventListener('submit', async (event) => {
      event.preventDefault();
      message.textContent = '';
      const body = {};
      if (modelSelect.value) body.model = modelSelect.value;
      if (templateSelect.value) body.promptTemplateVersionId = templateSelect.value;
      const parameters = {};
      for (const { p, input } of paramInputs) {
        if (input.value === input.dataset.recorded) continue;
        if (input.value !== '' && !input.checkValidity()) {
          message.textContent = `${p.label}: ${input.validationMessage}`;
          input.focus();
          return;
        }
        parameters[p.key] = input.value === '' ? null : Number(input.value);
      }
      if (Object.keys(parameters).length) body.modelParameters = parameters;
      submit.disabled = true;
      try {
        const replay = await post(`/api/v1/traces/${enc(trace.id)}/replays`, body);
        watchReplay(replay);
      } catch (e) {
        message.textContent = e.message;
      } finally {
        submit.disabled = false;
      }
    });
    return form;
  }

  function modelOption(m) {
    const price = `${fmtPrice(m.inputPricePerMillion)} / ${fmtPrice(m.outputPricePerMillion)}`;
    return h('option', { value: m.name, disabled: !m.served }, `${m.name} — ${price} · ${servedVia(m)}`);
  }

  async function loadTemplateVersions() {
    const ids = [...new Set(trace.spans.map(s => s.promptTemplateVersionId).filter(Boolean))];
    const used = (await Promise.all(ids.map(id => get(`/api/v1/prompt-templates/versions/${enc(id)}`).catch(() => null)))).filter(Boolean);
    for (const v of used) templateNames.set(v.id, `${v.name} v${v.version}`);
    const all = [];
    for (const name of new Set(used.map(v => v.name))) {
      const latest = await get(`/api/v1/prompt-templates?name=${enc(name)}`);
      const versions = await Promise.all(Array.from({ length: latest.version }, (_, i) => get(`/api/v1/prompt-templates?name=${enc(name)}&version=${i + 1}`)));
      for (const v of versions) templateNames.set(v.id, `${v.name} v${v.version}`);
      all.push(...versions);
    }
    return all;
  }

  function watchReplay(first) {
    const card = h('div', { class: 'live-card' });
    replace(liveStatus, card);
    let last = null;
    const show = (replay) => {
      replace(card, replayStatusView(replay));
      if (replay.status !== last) {
        last = replay.status;
        loadHistory();
      }
    };
    show(first);
    stops.push(poll(async () => {
      const replay = await get(`/api/v1/replays/${enc(first.id)}`);
      show(replay);
      return FINISHED.has(replay.status) && replay.evaluations?.status !== 'PENDING';
    }, 400));
  }

  function replayStatusView(r) {
    return h('div', { class: `replay-status status-${r.status.toLowerCase()}` },
      h('div', { class: 'replay-status-head' },
        h('span', {}, 'Replay ', h('code', {}, r.id)),
        badge(r.status, { id: 'replay-status-badge', role: 'status', 'aria-label': `Replay status ${r.status}` }),
        r.result?.simulated ? simulatedMark() : null,
        r.status === 'COMPLETED' ? evaluationStatus(r.evaluations) : null),
      progressBar(r.progress?.completedSpans ?? 0, r.progress?.totalSpans ?? 0, 'Replayed LLM spans'),
      h('p', { class: 'small muted' }, 'Configuration: ', describeOverrides(r.overrides),
        r.overridesApplied ? ` · changed spans: model ${r.overridesApplied.model}, parameters ${r.overridesApplied.modelParameters}, template ${r.overridesApplied.promptTemplate}` : '',
        r.overridesApplied?.droppedParameters?.length ? ` · not accepted by the provider, left out: ${r.overridesApplied.droppedParameters.map(d => `${d.spanId} (${d.parameters.join(', ')})`).join('; ')}` : ''),
      r.status === 'FAILED' && r.error ? h('div', { class: 'state state-error replay-error', role: 'alert' },
        h('strong', {}, `${r.error.code}${r.error.providerStatus ? ` (provider HTTP ${r.error.providerStatus})` : ''}: `), r.error.message,
        r.error.spanId ? h('div', { class: 'small' }, `at span ${r.error.spanId}`) : null) : null,
      r.status === 'COMPLETED' && r.result ? h('p', {}, `Cost ${fmtCost(r.result.totalCost)} · ${fmtInt(r.result.totalTokens)} tokens · ${fmtMs(r.result.durationMs)}`) : null,
      r.replayTraceId ? h('p', { class: 'actions-inline' },
        h('a', { class: 'button', href: `#/traces/${enc(r.replayTraceId)}`, id: 'replay-trace-link' }, 'Open replay trace'),
        h('a', { class: 'button primary', href: `#/replays/${enc(r.id)}/compare`, id: 'replay-compare-link' }, 'Compare with original')) : null);
  }

  function describeOverrides(o) {
    const parts = [];
    if (o?.model) parts.push(`model → ${o.model}`);
    if (o?.promptTemplateVersionId) parts.push(`template → ${templateNames.get(o.promptTemplateVersionId) ?? o.promptTemplateVersionId}`);
    if (o?.modelParameters && Object.keys(o.modelParameters).length) {
      parts.push(Object.entries(o.modelParameters).map(([k, v]) => `${k} = ${v === null ? 'removed' : v}`).join(', '));
    }
    return parts.length ? parts.join(' · ') : 'as recorded';
  }

  // ---- span tree + detail ---------------------------------------------------------------------------------
  const detail = h('section', { class: 'card span-detail', 'aria-label': 'Span detail', tabindex: '-1' });
  const rows = flattenTree(trace.spans);
  const treeButtons = [];
  const tree = h('nav', { class: 'card span-tree', 'aria-label': 'Span tree' },
    h('h2', {}, 'Spans'),
    rows.length ? h('ul', { class: 'tree' }, rows.map(({ span, depth }) => {
      const button = h('button', { type: 'button', class: 'tree-row', style: `--depth:${depth}`, 'aria-pressed': 'false', dataset: { spanId: span.id },
        onclick: () => select(span) },
        kindIcon(span.type), h('span', { class: 'tree-name' }, span.name),
        span.status === 'ERROR' ? h('span', { class: 'badge badge-bad' }, 'ERROR') : null,
        span.simulated ? h('span', { class: 'badge badge-sim', title: 'simulated' }, 'SIM') : null,
        h('span', { class: 'tree-meta' }, fmtMs(span.durationMs)));
      treeButtons.push(button);
      return h('li', {}, button);
    })) : empty('This trace has no spans.'));

  function select(span) {
    for (const b of treeButtons) b.setAttribute('aria-pressed', String(b.dataset.spanId === span.id));
    replace(detail,
      h('h2', {}, kindIcon(span.type), ' ', span.name, ' ', badge(span.status), span.simulated ? [' ', simulatedMark()] : null),
      h('dl', { class: 'facts' },
        fact('Type', span.type), fact('Span id', h('code', {}, span.id)),
        span.model ? fact('Model', span.model) : null,
        span.usage ? fact('Tokens', `${fmtInt(span.usage.promptTokens)} in · ${fmtInt(span.usage.completionTokens)} out`) : null,
        span.type === 'LLM' || span.cost !== null ? fact('Cost', fmtCost(span.cost)) : null,
        fact('Latency', fmtMs(span.durationMs)),
        span.modelParameters ? fact('Parameters', h('code', {}, Object.entries(span.modelParameters).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' '))) : null,
        span.promptTemplateVersionId ? fact('Template', templateNames.get(span.promptTemplateVersionId) ?? span.promptTemplateVersionId) : null,
        span.replayOfSpanId ? fact('Replays span', h('code', {}, span.replayOfSpanId)) : null),
      h('div', { class: 'io' },
        h('section', { 'aria-label': 'Input' }, h('h3', {}, 'Input'), payloadView(span.input)),
        h('section', { 'aria-label': 'Output' }, h('h3', {}, 'Output'), payloadView(span.output))),
      span.metadata ? h('details', {}, h('summary', {}, 'Metadata'), h('pre', { class: 'code' }, json(span.metadata))) : null);
  }
  const fact = (label, value) => [h('dt', {}, label), h('dd', {}, value)];

  // ---- scores + history -----------------------------------------------------------------------------------
  const scores = h('section', { class: 'card', 'aria-labelledby': 'scores-title' }, h('h2', { id: 'scores-title' }, 'Scores'), loading('Loading scores'));
  const history = h('section', { class: 'card table-card', 'aria-labelledby': 'history-title' }, h('h2', { id: 'history-title' }, 'Replay history'), h('div', {}, loading('Loading replay history')));

  // Scores arrive after the trace (enabled evaluators run once it settles): while its evaluations are PENDING, the
  // status and the table refresh until they are DONE.
  async function loadScores(evaluations = trace.evaluations) {
    let list;
    try {
      list = await get(`/api/v1/traces/${enc(trace.id)}/scores`);
    } catch (e) {
      replace(scores, h('h2', { id: 'scores-title' }, 'Scores'), errorBox(e));
      return false;
    }
    const pending = evaluations?.status === 'PENDING';
    replace(scores,
      h('div', { class: 'section-head' }, h('h2', { id: 'scores-title' }, 'Scores'), evaluationStatus(evaluations)),
      list.length ? scoreTable(list)
        : pending ? h('div', { class: 'state', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), 'The evaluators are scoring this trace…')
        : empty(evaluations?.status === 'NONE'
          ? h('span', {}, 'No evaluator was enabled when this trace arrived. ', h('a', { href: '#/evaluators' }, 'Create or enable one'), ' to score new traces.')
          : 'No scores yet. Custom scores sent to POST /api/v1/scores appear here too.'));
    return !pending;
  }

  let historyStop = null;
  async function loadHistory() {
    const body = history.lastChild;
    let list;
    try {
      list = await get(`/api/v1/traces/${enc(trace.id)}/replays`);
    } catch (e) {
      replace(body, errorBox(e));
      return;
    }
    replace(body, list.length ? historyTable(list) : empty('This trace has not been replayed yet. Press Replay to try another model, template version or parameters.'));
    if (list.some(r => !FINISHED.has(r.status)) && !historyStop) {
      historyStop = poll(async () => {
        const fresh = await get(`/api/v1/traces/${enc(trace.id)}/replays`);
        replace(body, historyTable(fresh));
        const done = fresh.every(r => FINISHED.has(r.status));
        if (done) historyStop = null;
        return done;
      }, 1000);
      stops.push(() => historyStop?.());
    }
  }

  function historyTable(list) {
    return h('table', { class: 'table history' },
      h('thead', {}, h('tr', {}, ['Replay', 'Created', 'Configuration', 'Status', 'Cost', 'Tokens', 'Duration', 'Result'].map((c, i) =>
        h('th', { scope: 'col', class: i >= 4 && i <= 6 ? 'num' : null }, c)))),
      h('tbody', {}, list.map(r => h('tr', { dataset: { replayId: r.id } },
        h('td', {}, h('code', {}, r.id)),
        h('td', {}, fmtTime(r.createdAt)),
        h('td', {}, describeOverrides(r.overrides)),
        h('td', {}, badge(r.status), r.result?.simulated ? [' ', simulatedMark()] : null,
          r.status === 'FAILED' && r.error ? h('div', { class: 'small error-text' }, r.error.message) : null,
          r.status === 'RUNNING' ? h('div', { class: 'small muted' }, `${r.progress.completedSpans}/${r.progress.totalSpans} spans`) : null),
        h('td', { class: 'num' }, r.result ? fmtCost(r.result.totalCost) : '—'),
        h('td', { class: 'num' }, r.result ? fmtInt(r.result.totalTokens) : '—'),
        h('td', { class: 'num' }, r.result ? fmtMs(r.result.durationMs) : '—'),
        h('td', {}, r.replayTraceId ? [h('a', { href: `#/traces/${enc(r.replayTraceId)}` }, 'Trace'), ' · ', h('a', { href: `#/replays/${enc(r.id)}/compare` }, 'Compare')] : '—')))));
  }

  replace(main, header, summary, replayPanel,
    h('div', { class: 'split' }, tree, detail),
    waterfall(rows), history, scores);
  const initial = trace.spans.find(s => s.id === query.get('span')) ?? rows[0]?.span;
  if (initial) select(initial); else replace(detail, empty('Select a span.'));
  await Promise.all([loadScores(), loadHistory()]);
  if (trace.evaluations?.status === 'PENDING') {
    stops.push(poll(async () => loadScores((await get(`/api/v1/traces/${enc(trace.id)}`)).evaluations), 1000));
  }
  return () => stops.forEach(stop => stop());
}

/** NONE, PENDING or DONE with counts, from a trace's or replay's `evaluations`. */
/** The span timeline (waterfall): one bar per span, placed by its start and sized by its duration, in tree order. */
function waterfall(rows) {
  const timed = rows.filter(({ span }) => span.startTime && span.endTime);
  if (!timed.length) return null;
  const t0 = Math.min(...timed.map(({ span }) => Date.parse(span.startTime)));
  const t1 = Math.max(...timed.map(({ span }) => Date.parse(span.endTime)));
  const total = Math.max(1, t1 - t0);
  const pct = (ms) => `${Math.max(0, Math.min(100, ms / total * 100)).toFixed(2)}%`;
  return h('section', { class: 'card waterfall', 'aria-labelledby': 'waterfall-title' },
    h('div', { class: 'section-head' }, h('h2', { id: 'waterfall-title' }, 'Timeline'),
      h('span', { class: 'muted small' }, `0 – ${fmtMs(total)}`)),
    h('ol', { class: 'waterfall-rows' }, timed.map(({ span, depth }) => {
      const start = Date.parse(span.startTime) - t0;
      const duration = Date.parse(span.endTime) - Date.parse(span.startTime);
      // Display only: the span tree beside it is the way to open a span (one control per span for keyboards and readers).
      return h('li', {}, h('div', { class: 'waterfall-row', dataset: { spanId: span.id }, title: `${span.name}: starts at ${fmtMs(start)}, takes ${fmtMs(duration)}` },
        h('span', { class: 'waterfall-name', style: `--depth:${depth}` }, kindIcon(span.type), ' ', span.name),
        h('span', { class: 'waterfall-track' },
          h('span', { class: `waterfall-bar kind-${String(span.type).toLowerCase()}${span.status === 'ERROR' ? ' is-error' : ''}`, style: `left:${pct(start)};width:${pct(duration)}` }),
          h('span', { class: 'waterfall-ms', style: `left:${pct(start + duration)}` }, fmtMs(duration)),
          h('span', { class: 'sr-only' }, `starts at ${fmtMs(start)}, takes ${fmtMs(duration)}`))));
    })));
}

export function evaluationStatus(e) {
  if (!e) return null;
  const text = e.status === 'NONE' ? 'no evaluator enabled' : e.status === 'PENDING' ? `evaluating · ${e.done} of ${e.total} done` : `evaluated by ${e.total}`;
  return h('span', { class: `badge badge-${e.status === 'DONE' ? 'ok' : e.status === 'PENDING' ? 'info' : 'muted'} evaluation-status`, title: 'Automatic scoring' }, text);
}

export function scoreTable(list) {
  return h('table', { class: 'table scores' },
    h('thead', {}, h('tr', {}, ['Evaluator', 'Type', 'Score', 'Label', 'Reasoning'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map(s => h('tr', {},
      h('td', {}, s.name ?? s.evaluatorId,
        h('div', { class: 'small muted' }, [s.source === 'API' ? 'custom score' : `v${s.evaluatorVersion}`, s.spanId ? `span ${s.spanId}` : null, s.higherIsBetter === false ? 'lower is better' : null].filter(Boolean).join(' · '))),
      h('td', {}, h('code', {}, s.type ?? '—')),
      h('td', {}, s.error ? h('span', { class: 'error-text' }, 'evaluator error') : scoreBar(s.score)),
      h('td', {}, s.label ? h('span', { class: `badge badge-${labelClass(s.label)}` }, s.label.toUpperCase()) : '—'),
      h('td', { class: s.error ? 'small error-text' : 'small' }, s.error ?? s.reasoning ?? '')))));
}

const labelClass = (label) => ({ pass: 'ok', fail: 'bad' })[label.toLowerCase()] ?? 'muted';

export function scoreBar(score) {
  if (score === null || score === undefined) return '—';
  const pct = Math.round(score * 100);
  return h('span', { class: 'score-bar', title: String(score) }, h('span', { class: 'score-fill', style: `width:${Math.max(2, pct * 0.8)}px` }), h('span', { class: 'score-num' }, Number(score).toFixed(2)));
}
