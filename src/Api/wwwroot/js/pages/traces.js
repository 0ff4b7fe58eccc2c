import { get, enc } from '../api.js';
import { h, field, loading, empty, errorBox, badge, simulatedMark, tag, fmtMs, fmtCost, fmtInt, fmtTime, replace } from '../dom.js';

const FILTERS = ['name', 'tags', 'status', 'startDate', 'endDate', 'kind'];

function toLocalInput(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** One line of a span's input: the last user message, a string, or the JSON. */
function previewText(input) {
  if (input === null || input === undefined) return '';
  if (typeof input === 'string') return input;
  const messages = Array.isArray(input) ? input : Array.isArray(input.messages) ? input.messages : null;
  const user = messages?.filter(m => m?.role === 'user').pop();
  if (user) return typeof user.content === 'string' ? user.content : JSON.stringify(user.content);
  const values = Object.values(input);
  return values.length === 1 && typeof values[0] === 'string' ? values[0] : JSON.stringify(input);
}

export async function renderTraces(main, { query }) {
  const selected = new Set();
  const cursors = [null];          // cursors[i] opens page i
  let page = 0;

  const nameInput = h('input', { id: 'filter-name', type: 'search', value: query.get('name') ?? '', placeholder: 'support-agent' });
  const tagsInput = h('input', { id: 'filter-tags', type: 'text', value: query.get('tags') ?? '', placeholder: 'production, demo' });
  const statusSelect = h('select', { id: 'filter-status' },
    h('option', { value: '' }, 'Any'), h('option', { value: 'OK' }, 'OK'), h('option', { value: 'ERROR' }, 'ERROR'));
  statusSelect.value = query.get('status') ?? '';
  const kindSelect = h('select', { id: 'filter-kind' },
    h('option', { value: '' }, 'Originals and replays'), h('option', { value: 'original' }, 'Originals'), h('option', { value: 'replay' }, 'Replays'));
  kindSelect.value = query.get('kind') ?? '';
  const fromInput = h('input', { id: 'filter-from', type: 'datetime-local', value: toLocalInput(query.get('startDate')) });
  const toInput = h('input', { id: 'filter-to', type: 'datetime-local', value: toLocalInput(query.get('endDate')) });

  const filterForm = h('form', { class: 'card filters', role: 'search', 'aria-label': 'Filter traces' },
    field('Name contains', nameInput),
    field('Tags (all of)', tagsInput),
    field('Status', statusSelect),
    field('Show', kindSelect),
    field('From', fromInput),
    field('To', toInput),
    h('div', { class: 'filter-actions' },
      h('button', { type: 'submit', class: 'primary' }, 'Apply'),
      h('button', { type: 'button', onclick: () => { location.hash = '#/traces'; } }, 'Clear')));
  filterForm.addEventListener('submit', (event) => {
    event.preventDefault();
    const q = new URLSearchParams();
    if (nameInput.value.trim()) q.set('name', nameInput.value.trim());
    if (tagsInput.value.trim()) q.set('tags', tagsInput.value.split(',').map(t => t.trim()).filter(Boolean).join(','));
    if (statusSelect.value) q.set('status', statusSelect.value);
    if (kindSelect.value) q.set('kind', kindSelect.value);
    if (fromInput.value) q.set('startDate', new Date(fromInput.value).toISOString());
    if (toInput.value) q.set('endDate', new Date(toInput.value).toISOString());
    const next = `#/traces${q.size ? '?' + q : ''}`;
    if (location.hash === next) load(); else location.hash = next;
  });

  const compareButton = h('button', { type: 'button', class: 'primary', disabled: true, onclick: () => {
    const [a, b] = [...selected];
    location.hash = `#/compare/${enc(a)}/${enc(b)}`;
  } }, 'Compare selected');
  const selectionNote = h('span', { class: 'muted', 'aria-live': 'polite' }, 'Select two traces to compare them.');
  const results = h('div', { class: 'card table-card' });
  const prev = h('button', { type: 'button', onclick: () => { page--; load(); } }, '← Previous');
  const next = h('button', { type: 'button', onclick: () => { page++; load(); } }, 'Next →');
  const pageLabel = h('span', { class: 'muted' });

  main.append(
    h('header', { class: 'page-head' }, h('h1', {}, 'Traces'), h('div', { class: 'head-actions' }, selectionNote, compareButton)),
    filterForm, results,
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, prev, pageLabel, next));

  function updateSelection() {
    compareButton.disabled = selected.size !== 2;
    selectionNote.textContent = selected.size === 2 ? 'Ready to compare.' : selected.size > 2 ? 'Select exactly two traces.' : `Select two traces to compare them (${selected.size} selected).`;
  }

  async function load() {
    replace(results, loading('Loading traces'));
    prev.disabled = next.disabled = true;
    const q = new URLSearchParams();
    for (const key of FILTERS) if (query.get(key)) q.set(key, query.get(key));
    q.set('limit', query.get('limit') ?? '25');
    if (cursors[page]) q.set('cursor', cursors[page]);
    let data;
    try {
      data = await get(`/api/v1/traces?${q}`);
    } catch (e) {
      replace(results, errorBox(e));
      return;
    }
    cursors[page + 1] = data.nextCursor ?? null;
    prev.disabled = page === 0;
    next.disabled = !data.nextCursor;
    pageLabel.textContent = `Page ${page + 1}`;
    if (!data.traces.length) {
      replace(results, empty(FILTERS.some(k => query.get(k)) ? 'No trace matches these filters.' : 'No traces yet. Send some to POST /api/v1/traces.'));
      return;
    }
    replace(results, h('table', { class: 'table traces-table' },
      h('caption', { class: 'sr-only' }, 'Traces, newest first'),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, h('span', { class: 'sr-only' }, 'Select')), h('th', { scope: 'col' }, 'Trace'), h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Input'), h('th', { scope: 'col' }, 'Scores'), h('th', { scope: 'col' }, 'Tags'),
        h('th', { scope: 'col', class: 'num' }, 'Tokens'), h('th', { scope: 'col', class: 'num' }, 'Cost'), h('th', { scope: 'col', class: 'num' }, 'Duration'),
        h('th', { scope: 'col' }, 'Started'))),
      h('tbody', {}, data.traces.map(t => {
        const href = `#/traces/${enc(t.id)}`;
        const box = h('input', { type: 'checkbox', 'aria-label': `Select ${t.name} (${t.id})`, checked: selected.has(t.id), onchange: (e) => {
          if (e.target.checked) selected.add(t.id); else selected.delete(t.id);
          updateSelection();
        } });
        const input = h('td', { class: 'preview muted small' }, '…');
        const scores = h('td', { class: 'small' }, '…');
        // The whole row opens the trace; links and the checkbox keep their own clicks. The id link is the keyboard path.
        const row = h('tr', { class: 'clickable', dataset: { traceId: t.id } },
          h('td', {}, box),
          h('td', {}, h('a', { href, class: 'row-link' }, t.name), h('div', {}, h('a', { href, class: 'muted small mono' }, t.id)),
            t.replayOf ? h('div', { class: 'small' }, '⟲ replay of ', h('a', { href: `#/traces/${enc(t.replayOf.traceId)}` }, t.replayOf.traceId)) : null),
          h('td', {}, badge(t.status), t.simulated ? [' ', simulatedMark()] : null),
          input, scores,
          h('td', {}, t.tags.map(tag)),
          h('td', { class: 'num' }, fmtInt(t.totalTokens)),
          h('td', { class: 'num' }, fmtCost(t.totalCost)),
          h('td', { class: 'num' }, fmtMs(t.durationMs)),
          h('td', {}, fmtTime(t.startTime)));
        row.addEventListener('click', (e) => {
          if (e.target.closest('a, input, button, label') || getSelection()?.toString()) return;
          location.hash = href;
        });
        fillPreview(t.id, input, scores);
        return row;
      }))));
  }

  // Input preview and scores come from each trace's own endpoints, a page (at most 25 rows) at a time.
  async function fillPreview(id, inputCell, scoresCell) {
    const [trace, list] = await Promise.allSettled([get(`/api/v1/traces/${enc(id)}`), get(`/api/v1/traces/${enc(id)}/scores`)]);
    const root = trace.status === 'fulfilled' ? (trace.value.spans ?? []).find(s => !s.parentSpanId) : null;
    const text = root ? previewText(root.input) : '';
    replace(inputCell, text ? h('span', { title: text }, text.length > 80 ? text.slice(0, 80) + '…' : text) : 'n/a');
    const scored = list.status === 'fulfilled' ? list.value.filter(s => s.score !== null && s.score !== undefined && !s.spanId) : [];
    replace(scoresCell, scored.length
      ? scored.slice(0, 3).map(s => h('div', { class: 'score-chip', title: s.name }, `${s.name.length > 18 ? s.name.slice(0, 18) + '…' : s.name} ${Number(s.score).toFixed(2)}`))
      : h('span', { class: 'muted' }, 'n/a'));
  }

  updateSelection();
  await load();
}
