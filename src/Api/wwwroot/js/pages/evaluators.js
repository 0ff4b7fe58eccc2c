import { get, post, patch, del, enc } from '../api.js';
import { h, field, loading, empty, errorBox, replace, json, fmtTime } from '../dom.js';

// The built-in types (src/Grains/Evaluation/Evaluators) with a config the server accepts as a starting point.
const TYPES = {
  CONTAINS: { config: { values: ['refund'], mode: 'any', case_sensitive: false }, about: 'The output contains any (or all) of the values.' },
  REGEX: { config: { pattern: '\\border\\b', flags: 'i' }, about: 'The output matches a regular expression.' },
  JSON_SCHEMA: { config: { schema: { type: 'object', required: ['answer'] } }, about: 'The output is JSON valid against a schema.' },
  EXACT_MATCH: { config: { expected: 'Your order has shipped.', trim: true }, about: 'The output equals the expected text (for a replay, by default the original output).' },
  STARTS_WITH: { config: { value: 'Hello' }, about: 'The output starts with the value.' },
  ENDS_WITH: { config: { value: '.' }, about: 'The output ends with the value.' },
  LENGTH: { config: { min_length: 1, max_length: 1000, unit: 'characters' }, about: 'The output length (characters or words) is within bounds.' },
  LEVENSHTEIN: { config: { threshold: 0.8 }, about: 'Edit-distance similarity to the expected output.' },
  SIMILARITY: { config: { threshold: 0.7, tokenizer: 'word' }, about: 'TF-IDF cosine similarity to the expected output.' },
  LATENCY: { config: { max_ms: 5000, target_ms: 2000 }, about: 'Trace duration: 1 at the target, 0 at the maximum.' },
  COST: { config: { max_cost_usd: 0.01, target_cost_usd: 0.005 }, about: 'Trace cost: 1 at the target, 0 at the maximum.' },
  RESPONSE_TIME_SLA: { config: { tiers: [{ name: 'fast', max_ms: 1000, score: 1 }, { name: 'acceptable', max_ms: 3000, score: 0.5 }] }, about: 'Scores the duration by SLA tier.' },
  SENTIMENT: { config: { target: 'positive' }, about: 'Keyword sentiment of the output.' },
  TOXICITY: { config: { use_default_list: true, blocklist: [] }, about: 'Fails when the output uses a blocked term.' },
  TOOL_CALL_VALIDATION: { config: { allowed_functions: ['lookup_order'] }, about: 'Tool calls name allowed functions with valid arguments.' },
  LLM_JUDGE: { config: { criteria: 'Is the answer helpful and correct?', scale: 'pass_fail' }, about: 'A judge model grades the output against your criteria.' },
  GROUNDEDNESS: { config: { context_field: 'auto' }, about: 'A judge model checks the output against the retrieved context.' },
  PROMPT_INJECTION: { config: {}, about: 'A judge model looks for prompt injection in the input.' },
  BIAS_DETECTION: { config: {}, about: 'A judge model looks for bias in the output.' },
  COMPLIANCE_CHECK: { config: { rules: ['Never promise a refund before the order is found.'] }, about: 'A judge model checks the output against each rule.' },
  FACTUAL_ACCURACY: { config: {}, about: 'A judge model checks the output\'s claims.' },
  PII_DETECTION: { config: {}, about: 'A judge model looks for personal data in the output.' },
  WORKFLOW_ADHERENCE: { config: { expected_steps: ['lookup_order', 'write-answer'] }, about: 'A judge model checks the span tree against the expected steps.' },
  WEBHOOK: { config: { url: 'https://scoring.example.com/score', timeoutMs: 5000, retries: 1 }, about: 'Your HTTPS endpoint returns the score.' },
};

export async function renderEvaluators(main) {
  const status = h('p', { class: 'form-error', role: 'status', 'aria-live': 'polite', id: 'evaluators-message' });
  const listCard = h('section', { class: 'card table-card', 'aria-labelledby': 'evaluators-title' });
  main.append(
    h('header', { class: 'page-head' }, h('div', {}, h('h1', {}, 'Evaluators'),
      h('p', { class: 'muted' }, 'Every enabled evaluator scores each new trace, replays included; scores appear on the trace and in comparisons and sweeps.'))),
    listCard, status, createForm(load));

  async function load() {
    replace(listCard, h('h2', { id: 'evaluators-title' }, 'Configured'), loading('Loading evaluators'));
    let list;
    try {
      list = await get('/api/v1/evaluators');
    } catch (e) {
      replace(listCard, h('h2', { id: 'evaluators-title' }, 'Configured'), errorBox(e));
      return;
    }
    replace(listCard, h('h2', { id: 'evaluators-title' }, `Configured (${list.length})`), list.length ? h('table', { class: 'table evaluators' },
      h('thead', {}, h('tr', {}, ['Name', 'Type', 'Enabled', 'Version', 'Config', 'Updated', ''].map(c => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, list.map(row)))
      : empty('No evaluators yet. Create one below; it scores every new trace.'));
  }

  function row(ev) {
    const toggle = h('input', { type: 'checkbox', role: 'switch', checked: ev.enabled, 'aria-label': `Enable ${ev.name}` });
    const state = h('span', { class: ev.enabled ? 'better small' : 'muted small' }, ev.enabled ? 'on' : 'off');
    toggle.addEventListener('change', async () => {
      status.textContent = '';
      toggle.disabled = true;
      try {
        const updated = await patch(`/api/v1/evaluators/${enc(ev.id)}`, { enabled: toggle.checked });
        state.textContent = updated.enabled ? 'on' : 'off';
        state.className = updated.enabled ? 'better small' : 'muted small';
      } catch (e) {
        toggle.checked = !toggle.checked;
        status.textContent = `${ev.name}: ${e.message}`;
      } finally {
        toggle.disabled = false;
      }
    });
    return h('tr', { dataset: { evaluatorId: ev.id } },
      h('td', {}, ev.name), h('td', {}, h('code', {}, ev.type)),
      h('td', {}, h('label', { class: 'switch' }, toggle, ' ', state)),
      h('td', {}, `v${ev.version}`),
      h('td', {}, h('details', {}, h('summary', {}, 'config'), h('pre', { class: 'code' }, json(ev.config ?? {})))),
      h('td', {}, fmtTime(ev.updatedAt)),
      h('td', { class: 'actions' }, backfillButton(ev), ' ', h('button', { type: 'button', class: 'danger small', 'aria-label': `Delete ${ev.name}`, onclick: async () => {
        if (!confirm(`Delete evaluator ${ev.name}? Its scores stay on the traces it scored.`)) return;
        status.textContent = '';
        try { await del(`/api/v1/evaluators/${enc(ev.id)}`); await load(); } catch (e) { status.textContent = `${ev.name}: ${e.message}`; }
      } }, 'Delete')));
  }

  // Scores the traces that existed before the evaluator (or its new version): a backfill, polled for progress.
  // While it runs the button cancels it; a refusal (e.g. the project's limit on running backfills) shows its message.
  function backfillButton(ev) {
    const label = `Score existing traces with ${ev.name}`;
    const button = h('button', { type: 'button', class: 'small', 'aria-label': label,
      title: 'Score the project\'s existing traces (newest 1,000, replays included) with this evaluator' }, 'Score existing');
    let running = null;
    const idle = () => {
      running = null;
      button.textContent = 'Score existing';
      button.setAttribute('aria-label', label);
      button.disabled = false;
    };
    button.addEventListener('click', async () => {
      status.textContent = '';
      if (running) {
        button.disabled = true;
        try { await post(`/api/v1/backfills/${enc(running)}/cancel`, {}); } catch (e) { status.textContent = `${ev.name}: ${e.message}`; button.disabled = false; }
        return;
      }
      button.disabled = true;
      try {
        let b = await post(`/api/v1/evaluators/${enc(ev.id)}/backfill`, {});
        running = b.id;
        button.textContent = 'Cancel scoring';
        button.setAttribute('aria-label', `Cancel scoring existing traces with ${ev.name}`);
        button.disabled = false;
        while (b.status === 'PENDING' || b.status === 'RUNNING' || (b.status === 'CANCELLED' && !b.completedAt)) {
          status.textContent = b.status === 'CANCELLED'
            ? `${ev.name}: cancelling — ${b.counts.scoring} traces being scored finish…`
            : `${ev.name}: scoring existing traces — ${b.counts.scored} of ${b.counts.total} scored…`;
          await new Promise(resolve => setTimeout(resolve, 1000));
          b = await get(`/api/v1/backfills/${enc(b.id)}`);
        }
        status.textContent = `${ev.name}: ${b.counts.scored} of ${b.counts.total} traces scored`
          + (b.status === 'CANCELLED' ? ', cancelled.' : b.counts.skipped ? `, ${b.counts.skipped} skipped.` : '.');
      } catch (e) {
        status.textContent = `${ev.name}: ${e.message}`;
      } finally {
        idle();
      }
    });
    return button;
  }

  await load();
}

function createForm(onCreated) {
  const name = h('input', { id: 'ev-name', type: 'text', required: true, placeholder: 'mentions refund', autocomplete: 'off' });
  const type = h('select', { id: 'ev-type' }, Object.keys(TYPES).map(t => h('option', { value: t }, t)));
  const about = h('small', { class: 'hint', id: 'ev-type-about' }, TYPES.CONTAINS.about);
  type.setAttribute('aria-describedby', 'ev-type-about');
  const config = h('textarea', { id: 'ev-config', rows: 7, spellcheck: 'false' });
  config.value = json(TYPES.CONTAINS.config);
  const enabled = h('input', { id: 'ev-enabled', type: 'checkbox', checked: true });
  // A new type replaces the config only while it is still some type's untouched template.
  type.addEventListener('change', () => {
    about.textContent = TYPES[type.value].about;
    if (Object.values(TYPES).some(t => json(t.config) === config.value)) config.value = json(TYPES[type.value].config);
  });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Create evaluator');
  const form = h('form', { class: 'card', 'aria-labelledby': 'ev-new-title', novalidate: true },
    h('h2', { id: 'ev-new-title' }, 'New evaluator'),
    h('div', { class: 'form-grid' }, field('Name', name), h('div', { class: 'field' }, h('label', { for: 'ev-type' }, 'Type'), type, about)),
    field('Config (JSON)', config, 'Starts as an example for the type. The server validates it and names the field that is wrong.'),
    h('div', { class: 'field inline' }, enabled, h('label', { for: 'ev-enabled' }, 'Enabled: score new traces from now on')),
    message, h('div', { class: 'form-actions' }, submit));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    message.textContent = '';
    if (!name.value.trim()) { message.textContent = 'Name is required.'; name.focus(); return; }
    let parsed;
    try { parsed = JSON.parse(config.value || '{}'); } catch (e) { message.textContent = `Config is not valid JSON: ${e.message}`; config.focus(); return; }
    submit.disabled = true;
    try {
      await post('/api/v1/evaluators', { name: name.value.trim(), type: type.value, config: parsed, enabled: enabled.checked });
      name.value = '';
      await onCreated();
    } catch (e) {
      message.textContent = e.message;
    } finally {
      submit.disabled = false;
    }
  });
  return form;
}
