// A small LCS diff, for template versions (the server's DiffPlex diffs are in the comparison API).
import { h } from './dom.js';

/** Diffs two token arrays: [{type: 'EQUAL'|'DELETED'|'INSERTED', text}]. */
export function diffTokens(a, b) {
  const n = a.length, m = b.length;
  const table = Array.from({ length: n + 1 }, () => new Uint32Array(m + 1));
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i][j] = a[i] === b[j] ? table[i + 1][j + 1] + 1 : Math.max(table[i + 1][j], table[i][j + 1]);
    }
  }
  const out = [];
  let i = 0, j = 0;
  const push = (type, text) => {
    const last = out[out.length - 1];
    if (last && last.type === type) last.text += text; else out.push({ type, text });
  };
  while (i < n && j < m) {
    if (a[i] === b[j]) { push('EQUAL', a[i]); i++; j++; }
    else if (table[i + 1][j] >= table[i][j + 1]) push('DELETED', a[i++]);
    else push('INSERTED', b[j++]);
  }
  while (i < n) push('DELETED', a[i++]);
  while (j < m) push('INSERTED', b[j++]);
  return out;
}

export const words = (text) => (text ?? '').match(/\s+|[^\s]+/g) ?? [];
export const lines = (text) => (text ?? '').split('\n').map((line, i, all) => i < all.length - 1 ? line + '\n' : line);

/** Inline diff rendering of segments: deletions struck through, insertions highlighted. */
export function segmentsView(segments, label) {
  // A deletion followed at once by an insertion would read as one word ("yourHere"): a space keeps them apart
  // unless either side already has one.
  const parts = [];
  segments.forEach((s, i) => {
    const prev = segments[i - 1];
    if (s.type === 'INSERTED' && prev?.type === 'DELETED' && !/\s$/.test(prev.text) && !/^\s/.test(s.text)) {
      parts.push(h('span', { class: 'diff-gap', 'aria-hidden': 'true' }, ' '));
    }
    parts.push(s.type === 'INSERTED' ? h('ins', {}, s.text) : s.type === 'DELETED' ? h('del', {}, s.text) : h('span', {}, s.text));
  });
  return h('div', { class: 'diff', role: 'group', 'aria-label': label ?? 'Differences' }, parts);
}

/** A line diff table: each line marked -, + or blank. */
export function lineDiffView(before, after) {
  const segments = diffTokens(lines(before), lines(after));
  const rows = [];
  for (const s of segments) {
    for (const line of s.text.split('\n').filter((l, i, all) => l !== '' || i < all.length - 1)) {
      const mark = s.type === 'INSERTED' ? '+' : s.type === 'DELETED' ? '−' : ' ';
      rows.push(h('div', { class: `diff-line diff-${s.type.toLowerCase()}` }, h('span', { class: 'diff-mark', 'aria-hidden': 'true' }, mark),
        s.type === 'INSERTED' ? h('ins', {}, line) : s.type === 'DELETED' ? h('del', {}, line) : h('span', {}, line)));
    }
  }
  return h('div', { class: 'diff diff-lines', role: 'group', 'aria-label': 'Line differences' }, rows);
}
