import { get, post, enc } from '../api.js';
import { h, field, loading, empty, errorBox, replace, fmtTime } from '../dom.js';
import { lineDiffView, segmentsView, diffTokens, words } from '../diff.js';

export async function renderTemplates(main) {
  const body = h('div', { class: 'card table-card' }, loading('Loading templates'));
  main.append(h('header', { class: 'page-head' }, h('h1', {}, 'Prompt templates')), body, newVersionForm(null));
  let list;
  try {
    list = (await get('/api/v1/prompt-templates')).templates;
  } catch (e) {
    replace(body, errorBox(e));
    return;
  }
  replace(body, list.length ? h('table', { class: 'table' },
    h('thead', {}, h('tr', {}, ['Name', 'Latest', 'Versions', 'Description', 'Updated'].map(c => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, list.map(t => h('tr', {},
      h('td', {}, h('a', { href: `#/templates/${enc(t.name)}` }, t.name)),
      h('td', {}, `v${t.latestVersion}`),
      h('td', {}, t.versionCount),
      h('td', {}, t.latest.description ?? ''),
      h('td', {}, fmtTime(t.latest.createdAt))))))
    : empty('No prompt templates yet. Create one below.'));
}

export async function renderTemplate(main, { params: [name] }) {
  main.append(loading('Loading versions'));
  let versions;
  try {
    const latest = await get(`/api/v1/prompt-templates?name=${enc(name)}`);
    versions = await Promise.all(Array.from({ length: latest.version }, (_, i) => get(`/api/v1/prompt-templates?name=${enc(name)}&version=${i + 1}`)));
  } catch (e) {
    replace(main, errorBox(e));
    return;
  }
  const options = () => versions.map(v => h('option', { value: String(v.version) }, `v${v.version}${v.commitMessage ? ' — ' + v.commitMessage : ''}`));
  const fromSelect = h('select', { id: 'diff-from' }, options());
  const toSelect = h('select', { id: 'diff-to' }, options());
  fromSelect.value = String(Math.max(1, versions.length - 1));
  toSelect.value = String(versions.length);
  const diffOut = h('div', {});
  const showDiff = () => {
    const a = versions[Number(fromSelect.value) - 1], b = versions[Number(toSelect.value) - 1];
    replace(diffOut, a.content === b.content ? empty('The two versions have the same content.') : [
      h('h3', {}, 'Lines'), lineDiffView(a.content, b.content),
      h('h3', {}, 'Words'), segmentsView(diffTokens(words(a.content), words(b.content)), 'Word differences')]);
  };
  fromSelect.addEventListener('change', showDiff);
  toSelect.addEventListener('change', showDiff);

  replace(main,
    h('header', { class: 'page-head' }, h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/templates' }, 'Prompt templates'), ' / ', name), h('h1', {}, name))),
    h('section', { class: 'card', 'aria-labelledby': 'diff-title' },
      h('h2', { id: 'diff-title' }, 'Compare versions'),
      h('div', { class: 'form-grid' }, field('From version', fromSelect), field('To version', toSelect)),
      diffOut),
    h('section', { class: 'card', 'aria-labelledby': 'versions-title' },
      h('h2', { id: 'versions-title' }, 'Versions'),
      h('ol', { class: 'versions', reversed: true }, [...versions].reverse().map(v => h('li', {},
        h('div', { class: 'version-head' }, h('strong', {}, `v${v.version}`), ' ', h('code', { class: 'small' }, v.id), ' · ', fmtTime(v.createdAt), v.commitMessage ? ` · ${v.commitMessage}` : ''),
        v.variables?.length ? h('div', { class: 'small muted' }, 'Variables: ', v.variables.join(', ')) : null,
        h('pre', { class: 'code' }, v.content))))),
    newVersionForm(name, versions[versions.length - 1]));
  showDiff();
}

function newVersionForm(name, latest) {
  const nameInput = h('input', { id: 'tpl-name', type: 'text', required: true, value: name ?? '', readonly: Boolean(name) });
  const content = h('textarea', { id: 'tpl-content', rows: 6, required: true }, latest?.content ?? '');
  const commit = h('input', { id: 'tpl-commit', type: 'text' });
  const message = h('p', { class: 'form-error', role: 'alert' });
  const form = h('form', { class: 'card', 'aria-labelledby': 'tpl-new-title' },
    h('h2', { id: 'tpl-new-title' }, name ? 'New version' : 'New template'),
    field('Name', nameInput), field('Content (mustache, e.g. {{company}})', content), field('Commit message', commit),
    message, h('button', { type: 'submit', class: 'primary' }, name ? 'Save as next version' : 'Create template'));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    try {
      const v = await post('/api/v1/prompt-templates', { name: nameInput.value.trim(), content: content.value, commitMessage: commit.value || null });
      const target = `#/templates/${enc(v.name)}`;
      if (location.hash === target) window.dispatchEvent(new HashChangeEvent('hashchange')); else location.hash = target;
    } catch (e) {
      message.textContent = e.message;
    }
  });
  return form;
}
