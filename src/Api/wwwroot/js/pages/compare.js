import { get, enc, ApiError } from '../api.js';
import { h, loading, empty, errorBox, replace, json, fmtMs, fmtCost, fmtInt, poll } from '../dom.js';
import { kindIcon } from '../spans.js';
import { segmentsView } from '../diff.js';
import { scoreBar } from './trace.js';

const METRICS = [
  ['durationMs', 'Duration', fmtMs],
  ['cost', 'Cost', fmtCost],
  ['totalTokens', 'Total tokens', fmtInt],
  ['inputTokens', 'Input tokens', fmtInt],
  ['outputTokens', 'Output tokens', fmtInt],
  ['spanCount', 'Spans', fmtInt],
  ['errorSpans', 'Error spans', fmtInt],
];
const ARROWS = { UP: '▲', DOWN: '▼', FLAT: '▶', UNKNOWN: '?' };

export async function renderCompare(main, { params, replayId }) {
  let traceA = params[0], traceB = params[1];
  let path = `/api/v1/traces/${enc(traceA)}/compare/${enc(traceB)}`;
  main.append(loading('Loading comparison'));
  if (replayId) {
    const replay = await get(`/api/v1/replays/${enc(replayId)}`);
    traceA = replay.traceId;
    traceB = replay.replayTraceId;
    path = `/api/v1/replays/${enc(replayId)}/comparison`;
  }
  const links = h('p', { class: 'crumbs' }, h('a', { href: '#/traces' }, 'Traces'), ' / Compare ',
    h('a', { href: `#/traces/${enc(traceA)}` }, traceA), ' → ', traceB ? h('a', { href: `#/traces/${enc(traceB)}` }, traceB) : '(replay not finished)');
  const head = h('header', { class: 'page-head' }, h('div', {}, links, h('h1', {}, replayId ? 'Replay vs original' : 'Comparison')));

  const body = h('div', {});
  replace(main, head, body);
  let stop = null;
  const load = async () => {
    try {
      replace(body, comparisonView(await get(path)));
      return true;
    } catch (e) {
      if (e instanceof ApiError && e.status === 409) {
        replace(body, h('div', { class: 'state', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), e.message));
        return /FAILED/.test(e.message);   // a failed replay never becomes comparable
      }
      replace(body, errorBox(e));
      return true;
    }
  };
  stop = poll(load, 1000);
  return () => stop?.();
}

function comparisonView(c) {
  const detail = h('section', { class: 'card pair-detail', 'aria-label': 'Span pair differences', tabindex: '-1' }, empty('Select a span pair to see its input and output differences.'));
  const spans = c.spans ?? [];
  const buttons = [];
  const pairRow = (s, i) => {
    const side = (id, duration) => id
      ? h('span', { class: 'pair-side', style: `--depth:${s.depth ?? 0}` }, kindIcon(s.type), h('span', { class: 'tree-name' }, s.name), h('span', { class: 'tree-meta' }, fmtMs(duration)))
      : h('span', { class: 'pair-side pair-missing' }, '—');
    const change = (s.change ?? 'SAME').toUpperCase();
    const button = h('button', { type: 'button', class: `pair-row change-${change.toLowerCase()}`, 'aria-pressed': 'false',
      'aria-label': `${s.name}: ${change.toLowerCase()}`, dataset: { index: i },
      onclick: () => showPair(i, true) },
      side(s.spanIdA, s.durationMsA),
      h('span', { class: `change-tag change-tag-${change.toLowerCase()}` }, change),
      side(s.spanIdB, s.durationMsB));
    buttons.push(button);
    return h('li', {}, button);
  };
  function showPair(i, focus) {
    buttons.forEach((b, j) => b.setAttribute('aria-pressed', String(j === i)));
    replace(detail, pairDetail(spans[i]));
    if (focus) detail.focus();
  }

  const metrics = c.metrics ?? {};
  const view = h('div', { class: 'comparison' },
    c.summary ? h('section', { class: 'card summary-line' },
      h('p', { id: 'comparison-summary' }, c.summary),
      h('button', { type: 'button', onclick: (e) => { navigator.clipboard?.writeText(c.summary); e.target.textContent = 'Copied'; } }, 'Copy')) : null,
    h('section', { class: 'metrics-grid', 'aria-label': 'Metrics' }, METRICS.filter(([key]) => metrics[key]).map(([key, label, fmt]) => metricDelta(label, metrics[key], fmt))),
    h('section', { class: 'card', 'aria-labelledby': 'spans-title' },
      h('div', { class: 'section-head' }, h('h2', { id: 'spans-title' }, 'Spans'),
        h('span', { class: 'muted small' }, c.alignment === 'LINEAGE' ? 'Aligned by replay lineage' : 'Aligned by tree position and name'),
        h('span', { class: 'legend' }, ['same', 'changed', 'added', 'removed'].map(k => h('span', { class: `change-tag change-tag-${k}` }, k)))),
      h('div', { class: 'pair-head' }, h('span', {}, `A · ${c.a?.name ?? ''}`), h('span', {}), h('span', {}, `B · ${c.b?.name ?? ''}`)),
      spans.length ? h('ul', { class: 'pairs' }, spans.map(pairRow)) : empty('Neither trace has spans.')),
    detail,
    decisionsView(c.decisions),
    scoresView(c.scores));
  // The first changed pair is open from the start: its diff is usually what the comparison is for.
  const firstChanged = spans.findIndex(s => s.change === 'CHANGED');
  if (firstChanged >= 0) showPair(firstChanged, false);
  return view;
}

function metricDelta(label, m, fmt) {
  const verdict = (m.verdict ?? 'UNKNOWN').toLowerCase();
  const trend = (m.trend ?? 'UNKNOWN').toUpperCase();
  const signed = (v) => v === null || v === undefined ? 'unknown' : `${v > 0 ? '+' : v < 0 ? '−' : '±'}${fmt(Math.abs(v))}`;
  return h('div', { class: `metric delta verdict-${verdict}`, dataset: { metric: label } },
    h('div', { class: 'metric-label' }, label),
    h('div', { class: 'metric-value' }, h('span', { class: 'nowrap' }, fmt(m.a), h('span', { class: 'muted' }, ' →')), ' ', h('span', { class: 'nowrap' }, fmt(m.b))),
    h('div', { class: 'delta-line' },
      h('span', { class: 'nowrap' }, h('span', { class: 'trend', 'aria-label': `${trend.toLowerCase()}, ${verdict}` }, ARROWS[trend] ?? '?'), ' ', signed(m.absoluteDelta)), ' ',
      m.percentDelta !== null && m.percentDelta !== undefined ? h('span', { class: 'nowrap' }, `(${m.percentDelta > 0 ? '+' : ''}${Number(m.percentDelta).toFixed(1)} %)`) : ''),
    h('div', { class: 'verdict-text small' }, verdict));
}

function pairDetail(s) {
  const change = (s.change ?? '').toUpperCase();
  return [
    h('h2', {}, kindIcon(s.type), ' ', s.name, ' ', h('span', { class: `change-tag change-tag-${change.toLowerCase()}` }, change)),
    h('p', { class: 'muted' },
      s.changedFields?.length ? `Changed: ${s.changedFields.join(', ')}. ` : change === 'SAME' ? 'Nothing but timing changed. ' : '',
      s.durationDeltaMs !== null && s.durationDeltaMs !== undefined ? `Duration ${fmtMs(s.durationMsA)} → ${fmtMs(s.durationMsB)} (${s.durationDeltaMs > 0 ? '+' : ''}${fmtMs(s.durationDeltaMs)}).` : ''),
    s.llm ? llmView(s.llm) : null,
    valueDiff('Input', s.input, change),
    valueDiff('Output', s.output, change),
  ];
}

function llmView(llm) {
  const calls = llm.toolCalls;
  return h('div', { class: 'llm-diff' },
    h('p', {}, 'Model: ', h('code', {}, llm.modelA ?? '—'), llm.modelChanged ? [' → ', h('code', {}, llm.modelB ?? '—')] : ' (unchanged)'),
    llm.parameterDifferences?.length ? h('table', { class: 'table compact' },
      h('caption', {}, 'Parameter differences'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Parameter'), h('th', { scope: 'col' }, 'A'), h('th', { scope: 'col' }, 'B'))),
      h('tbody', {}, llm.parameterDifferences.map(p => h('tr', {}, h('td', {}, h('code', {}, p.key)), h('td', {}, jsonText(p.a)), h('td', {}, jsonText(p.b)))))) : null,
    calls && (calls.a?.length || calls.b?.length) ? h('div', { class: 'tool-diff' },
      h('p', {}, 'Tool decisions: ', calls.same ? h('strong', { class: 'better' }, 'identical') : h('strong', { class: 'worse' }, 'different')),
      h('div', { class: 'io' },
        h('div', {}, h('h4', {}, 'A'), (calls.a ?? []).map(t => h('pre', { class: 'code' }, `${t.name}(${json(t.arguments)})`))),
        h('div', {}, h('h4', {}, 'B'), (calls.b ?? []).map(t => h('pre', { class: 'code' }, `${t.name}(${json(t.arguments)})`)))),
      (calls.differences ?? []).length ? jsonDiffTable('Argument differences', calls.differences.flatMap(d => (d.argumentDifferences ?? []).map(x => ({ ...x, path: `#${d.index} ${d.nameA ?? ''}→${d.nameB ?? ''} ${x.path}` })))) : null) : null);
}

/** Each replayed LLM span's decision on both sides — answer, or which tools it called — and why they differ. */
export function decisionsView(decisions) {
  const spans = decisions?.spans ?? [];
  if (!spans.length) return null;
  const describe = (d) => !d ? '—' : String(d.kind).toUpperCase() === 'TOOL_CALLS' ? `tool calls: ${(d.tools ?? []).join(', ') || '(none)'}` : 'answer';
  const rate = decisions.agreementRate;
  return h('section', { class: 'card', 'aria-labelledby': 'cmp-decisions-title' },
    h('h2', { id: 'cmp-decisions-title' }, 'Decisions', rate === null || rate === undefined ? '' : h('span', { class: 'muted small' }, ` ${Math.round(rate * 100)} % agree`)),
    h('div', { class: 'table-scroll' }, h('table', { class: 'table decisions' },
      h('thead', {}, h('tr', {}, ['Span', 'Original', 'Replay', 'Same', 'Reason'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, spans.map(d => h('tr', { class: d.same ? '' : 'decision-differs' },
        h('td', {}, h('code', {}, d.spanId)),
        h('td', {}, describe(d.original)),
        h('td', {}, describe(d.replay)),
        h('td', { class: d.same ? 'better' : 'worse' }, d.same ? 'yes' : 'no'),
        h('td', {}, d.reason ?? (d.same ? '—' : 'n/a'))))))));
}

function valueDiff(label, diff, change) {
  if (!diff) return change === 'ADDED' || change === 'REMOVED' ? null : h('p', { class: 'muted small' }, `${label}: identical.`);
  return h('section', { class: 'value-diff', 'aria-label': `${label} diff` },
    h('h3', {}, `${label} diff`),
    diff.text?.segments ? segmentsView(diff.text.segments, `${label} differences`) : null,
    diff.json?.length ? jsonDiffTable(`${label}: JSON differences`, diff.json) : null);
}

function jsonDiffTable(caption, rows) {
  return h('table', { class: 'table compact' }, h('caption', {}, caption),
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Path'), h('th', { scope: 'col' }, 'A'), h('th', { scope: 'col' }, 'B'))),
    h('tbody', {}, rows.map(r => h('tr', {}, h('td', {}, h('code', {}, r.path)), h('td', {}, jsonText(r.a)), h('td', {}, jsonText(r.b))))));
}

const jsonText = (v) => v === null || v === undefined ? h('span', { class: 'muted' }, 'absent') : h('code', {}, typeof v === 'string' ? v : JSON.stringify(v));

function scoresView(scores) {
  const list = scores?.evaluators ?? (Array.isArray(scores) ? scores : []);
  return h('section', { class: 'card', 'aria-labelledby': 'cmp-scores-title' },
    h('h2', { id: 'cmp-scores-title' }, 'Scores'),
    list.length ? h('table', { class: 'table comparison-scores' },
      h('thead', {}, h('tr', {}, ['Evaluator', 'A', 'B', 'Delta', 'Verdict'].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map(s => {
        const verdict = (s.verdict ?? 'UNKNOWN').toLowerCase();
        return h('tr', {},
          h('td', {}, s.name ?? s.evaluatorId, s.presence && s.presence !== 'BOTH' ? h('div', { class: 'small muted' }, s.presence === 'A_ONLY' ? 'scored A only' : 'scored B only') : null),
          h('td', {}, s.errorA ? h('span', { class: 'error-text', title: s.errorA }, 'error') : scoreBar(s.a)),
          h('td', {}, s.errorB ? h('span', { class: 'error-text', title: s.errorB }, 'error') : scoreBar(s.b)),
          h('td', { class: `verdict-${verdict}` }, h('span', { class: 'trend' }, ARROWS[(s.trend ?? 'UNKNOWN').toUpperCase()] ?? '?'), ' ',
            s.delta === null || s.delta === undefined ? 'unknown' : `${s.delta > 0 ? '+' : ''}${Number(s.delta).toFixed(2)}`),
          h('td', { class: `verdict-${verdict}` }, verdict));
      }))) : empty('Neither trace has scores yet.'));
}
