import { get, post, patch, del, hasFeature, optional } from '../api.js';
import { h, field, loading, empty, errorBox, notAvailable, replace, json, fmtTime } from '../dom.js';

// The catalog of issue 4 (2Signal's evaluator types) with a starting config for each.
const TYPES = {
  CONTAINS: { values: ['refund'], mode: 'any', case_sensitive: false },
  REGEX: { pattern: '\\d+' },
  JSON_SCHEMA: { schema: { type: 'object' } },
  EXACT_MATCH: { expected: '' },
  STARTS_WITH: { prefix: '' },
  ENDS_WITH: { suffix: '' },
  LENGTH: { min: 1, max: 1000 },
  LEVENSHTEIN: {},
  SIMILARITY: {},
  LATENCY: { max_ms: 5000, target_ms: 2000 },
  COST: { max_cost_usd: 0.01, target_cost_usd: 0.005 },
  RESPONSE_TIME_SLA: { max_ms: 5000 },
  SENTIMENT: {},
  TOXICITY: {},
  TOOL_CALL_VALIDATION: {},
  LLM_JUDGE: { criteria: 'Is the answer helpful and correct?', scale: 5 },
  GROUNDEDNESS: {},
  PROMPT_INJECTION: {},
  BIAS_DETECTION: {},
  COMPLIANCE_CHECK: { rules: [] },
  FACTUAL_ACCURACY: {},
  PII_DETECTION: {},
  WORKFLOW_ADHERENCE: { expected_steps: [] },
  WEBHOOK: { url: 'https://example.invalid/score', timeoutMs: 5000, retries: 1 },
};

export async function renderEvaluators(main) {
  const head = h('header', { class: 'page-head' }, h('h1', {}, 'Evaluators'));
  main.append(head, loading('Loading evaluators'));
  if (!await hasFeature('evaluators')) {
    replace(main, head, notAvailable('Evaluators', 'This server has no evaluators API yet (/api/v1/evaluators).'));
    return;
  }
  const listCard = h('section', { class: 'card table-card', 'aria-label': 'Evaluators' });
  replace(main, head, listCard, createForm(load));

  async function load() {
    replace(listCard, loading('Loading evaluators'));
    let result;
    try {
      result = await optional(() => get('/api/v1/evaluators'));
    } catch (e) {
      replace(listCard, errorBox(e));
      return;
    }
    if (result.unavailable) {
      replace(main, head, notAvailable('Evaluators'));
      return;
    }
    const list = Array.isArray(result.value) ? result.value : result.value?.evaluators ?? [];
    replace(listCard, list.length ? h('table', { class: 'table' },
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Enabled', 'Version', 'Config', 'Updated', ''].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map(ev => {
        const toggle = h('input', { type: 'checkbox', role: 'switch', checked: ev.enabled, 'aria-label': `Enable ${ev.name}` });
        toggle.addEventListener('change', async () => {
          toggle.disabled = true;
          try { await patch(`/api/v1/evaluators/${encodeURIComponent(ev.id)}`, { enabled: toggle.checked }); }
          catch (e) { toggle.checked = !toggle.checked; alert(e.message); }
          finally { toggle.disabled = false; }
        });
        return h('tr', {},
          h('td', {}, ev.name), h('td', {}, h('code', {}, ev.type)), h('td', {}, toggle),
          h('td', {}, ev.version ?? '—'),
          h('td', {}, h('details', {}, h('summary', {}, 'config'), h('pre', { class: 'code' }, json(ev.config ?? safeParse(ev.configJson))))),
          h('td', {}, fmtTime(ev.updatedAt ?? ev.createdAt)),
          h('td', {}, h('button', { type: 'button', class: 'danger small', onclick: async () => {
            if (!confirm(`Delete evaluator ${ev.name}?`)) return;
            try { await del(`/api/v1/evaluators/${encodeURIComponent(ev.id)}`); load(); } catch (e) { alert(e.message); }
          } }, 'Delete')));
      })))
      : empty('No evaluators yet. Create one below; it scores every new trace.'));
  }
  await load();
}

const safeParse = (text) => { try { return JSON.parse(text); } catch { return text; } };

function createForm(onCreated) {
  const name = h('input', { id: 'ev-name', type: 'text', required: true });
  const type = h('select', { id: 'ev-type' }, Object.keys(TYPES).map(t => h('option', { value: t }, t)));
  const config = h('textarea', { id: 'ev-config', rows: 6, class: 'mono' }, json(TYPES.CONTAINS));
  const enabled = h('input', { id: 'ev-enabled', type: 'checkbox', checked: true });
  type.addEventListener('change', () => { config.value = json(TYPES[type.value]); });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'ev-new-title' },
    h('h2', { id: 'ev-new-title' }, 'New evaluator'),
    h('div', { class: 'form-grid' }, field('Name', name), field('Type', type)),
    field('Config (JSON)', config, 'Validated by the server per type; errors name the field.'),
    h('div', { class: 'field inline' }, enabled, h('label', { for: 'ev-enabled' }, 'Enabled')),
    message, h('button', { type: 'submit', class: 'primary' }, 'Create evaluator'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    let parsed;
    try { parsed = JSON.parse(config.value || '{}'); } catch (e) { message.textContent = `Config is not valid JSON: ${e.message}`; config.focus(); return; }
    try {
      await post('/api/v1/evaluators', { name: name.value.trim(), type: type.value, config: parsed, enabled: enabled.checked });
      name.value = '';
      onCreated();
    } catch (e) {
      message.textContent = e.message;
    }
  });
  return form;
}
