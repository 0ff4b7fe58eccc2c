import { auth, dashboardConfig, request, ApiError } from '../api.js';
import { h, field } from '../dom.js';

export async function renderLogin(main) {
  const config = await dashboardConfig();
  const input = h('input', { id: 'api-key', name: 'apiKey', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false', value: config.apiKey ?? '' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const submit = h('button', { type: 'submit', class: 'primary' }, 'Sign in');
  const form = h('form', { class: 'card login-card', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, h('span', { class: 'brand-mark', 'aria-hidden': 'true' }, '⟲'), ' TraceReplay'),
    h('p', { class: 'muted' }, 'Sign in with your project API key. It is kept for this browser session only.'),
    field('Project API key', input, config.apiKey ? 'Pre-filled by this machine\'s all-in-one server.' : 'The key printed at start-up, or TRACEREPLAY_API_KEY.'),
    message,
    submit);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const key = input.value.trim();
    message.textContent = '';
    submit.disabled = true;
    try {
      await request('/api/v1/models', { key });
      auth.set(key);
      const returnTo = sessionStorage.getItem('tracereplay.returnTo');
      sessionStorage.removeItem('tracereplay.returnTo');
      location.hash = returnTo && !returnTo.startsWith('#/login') ? returnTo : '#/traces';
    } catch (e) {
      message.textContent = e instanceof ApiError && e.status === 401 ? 'That key was not accepted.' : e.message;
      input.focus();
    } finally {
      submit.disabled = false;
    }
  });
  main.append(h('div', { class: 'login-wrap' }, form));
  input.focus();
}
