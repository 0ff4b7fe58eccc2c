// Hash router: #/path?query. Each page is render(main, {params, query}) and may return a cleanup function.
import { auth } from './api.js';
import { errorBox } from './dom.js';
import { renderLogin } from './pages/login.js';
import { renderTraces } from './pages/traces.js';
import { renderTrace } from './pages/trace.js';
import { renderCompare } from './pages/compare.js';
import { renderSweeps, renderSweep } from './pages/sweeps.js';
import { renderTemplates, renderTemplate } from './pages/templates.js';
import { renderEvaluators } from './pages/evaluators.js';

const routes = [
  [/^\/login$/, renderLogin, null, true],
  [/^\/traces$/, renderTraces, 'traces'],
  [/^\/traces\/([^/]+)$/, renderTrace, 'traces'],
  [/^\/compare\/([^/]+)\/([^/]+)$/, renderCompare, 'traces'],
  [/^\/replays\/([^/]+)\/compare$/, (main, ctx) => renderCompare(main, { ...ctx, replayId: ctx.params[0] }), 'traces'],
  [/^\/sweeps$/, renderSweeps, 'sweeps'],
  [/^\/sweeps\/([^/]+)$/, renderSweep, 'sweeps'],
  [/^\/templates$/, renderTemplates, 'templates'],
  [/^\/templates\/([^/]+)$/, renderTemplate, 'templates'],
  [/^\/evaluators$/, renderEvaluators, 'evaluators'],
];

const main = document.getElementById('main');
let cleanup = null;

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/traces';
  const [path, search = ''] = raw.split('?');
  return { path, query: new URLSearchParams(search) };
}

async function route() {
  cleanup?.();
  cleanup = null;
  const { path, query } = parseHash();
  const match = routes.map(([re, render, nav, isPublic]) => ({ m: path.match(re), render, nav, isPublic })).find(r => r.m);
  if (!match) {
    location.hash = '#/traces';
    return;
  }
  if (!match.isPublic && !auth.key) {
    sessionStorage.setItem('tracereplay.returnTo', location.hash);
    location.hash = '#/login';
    return;
  }
  document.body.classList.toggle('signed-out', Boolean(match.isPublic));
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === match.nav) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  main.replaceChildren();
  try {
    const params = match.m.slice(1).map(decodeURIComponent);
    const result = await match.render(main, { params, query });
    if (typeof result === 'function') cleanup = result;
  } catch (e) {
    main.replaceChildren(errorBox(e));
  }
}

document.getElementById('sign-out').addEventListener('click', () => {
  auth.clear();
  location.hash = '#/login';
});
window.addEventListener('tracereplay:signed-out', () => {
  if (!location.hash.startsWith('#/login')) {
    sessionStorage.setItem('tracereplay.returnTo', location.hash);
    location.hash = '#/login';
  }
});
window.addEventListener('hashchange', route);
route();
