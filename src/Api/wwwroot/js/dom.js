// Small DOM and formatting helpers. Every text goes in through textContent, never innerHTML.

/** h('a', {href: '#/x', class: 'y', onclick: fn}, 'text', child, [children]) */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'value') el.value = value;
    // Through the CSSOM: the content security policy refuses style attributes, not style properties set by script.
    else if (key === 'style') el.style.cssText = String(value);
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children) {
    if (child === undefined || child === null || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else el.append(child instanceof Node ? child : String(child));
  }
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs ?? {})) if (value !== undefined && value !== null) el.setAttribute(key, String(value));
  for (const child of children.flat()) if (child) el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  return el;
}

export function replace(container, ...children) {
  container.replaceChildren();
  append(container, children);
}

// ---- states -------------------------------------------------------------------------------------------------

export const loading = (what = 'Loading') => h('div', { class: 'state state-loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), `${what}…`);

export const empty = (message, ...extra) => h('div', { class: 'state state-empty' }, h('p', {}, message), ...extra);

export const errorBox = (error, ...extra) => h('div', { class: 'state state-error', role: 'alert' },
  h('strong', {}, error?.code ? `${error.code}: ` : 'Error: '), error?.message ?? String(error), ...extra);

// ---- formatting ---------------------------------------------------------------------------------------------

export function fmtMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '—';
  if (Math.abs(ms) < 1000) return `${Math.round(ms)} ms`;
  if (Math.abs(ms) < 60000) return `${(ms / 1000).toFixed(2)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

export function fmtCost(cost) {
  if (cost === null || cost === undefined) return 'unknown';
  const n = Number(cost);
  if (n === 0) return '$0';
  if (Math.abs(n) < 0.01) return `$${n.toFixed(6).replace(/0+$/, '')}`;
  return `$${n.toFixed(4)}`;
}

export function fmtInt(n) {
  if (n === null || n === undefined) return '—';
  return Number(n).toLocaleString('en-US');
}

export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  return d.toLocaleString('en-GB', { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

export function fmtPrice(perMillion) {
  return perMillion === null || perMillion === undefined ? '?' : `$${Number(perMillion)}`;
}

export function json(value) {
  return JSON.stringify(value, null, 2);
}

// ---- small components ---------------------------------------------------------------------------------------

const STATUS_CLASS = {
  OK: 'ok', COMPLETED: 'ok', ERROR: 'bad', FAILED: 'bad', PENDING: 'muted', RUNNING: 'info', CANCELLED: 'muted',
  BUDGET_EXCEEDED: 'warn',
};

export const badge = (status, attrs = {}) => h('span', { class: `badge badge-${STATUS_CLASS[status] ?? 'muted'}`, ...attrs }, status ?? '—');

export const simulatedMark = () => h('span', { class: 'badge badge-sim', title: 'Produced by the offline simulator, not a real model' }, 'SIMULATED');

export const tag = (text) => h('span', { class: 'chip' }, text);

export function progressBar(done, total, label) {
  const pct = total > 0 ? Math.min(100, Math.round((done / total) * 100)) : 0;
  return h('div', { class: 'progress', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': total || 100, 'aria-valuenow': total ? done : 0, 'aria-label': label ?? 'Progress' },
    h('div', { class: 'progress-fill', style: `width:${pct}%` }),
    h('span', { class: 'progress-text' }, total ? `${done} / ${total}` : '—'));
}

export function field(label, control, hint) {
  const id = control.id || (control.id = `f-${Math.random().toString(36).slice(2, 9)}`);
  return h('div', { class: 'field' },
    h('label', { for: id }, label),
    control,
    hint ? h('small', { class: 'hint' }, hint) : null);
}

export function metric(label, value, extra) {
  return h('div', { class: 'metric' }, h('div', { class: 'metric-label' }, label), h('div', { class: 'metric-value' }, value), extra ?? null);
}

/** Polls fn every interval ms until it returns true or stop() is called. */
export function poll(fn, interval = 500) {
  let stopped = false;
  let timer;
  const tick = async () => {
    if (stopped) return;
    let done = false;
    try { done = await fn(); } catch { /* keep polling: a transient error must not freeze the badge */ }
    if (!done && !stopped) timer = setTimeout(tick, interval);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}
