// Span trees and span payloads: chat messages as a conversation, tool calls as name + arguments.
import { h, svg, json } from './dom.js';

// Inline SVG glyphs (no icon font, no emoji: both may be missing on a server or a locked-down desktop).
const SHAPES = {
  AGENT: () => [svg('rect', { x: 4, y: 6, width: 12, height: 10, rx: 3 }), svg('line', { x1: 10, y1: 3, x2: 10, y2: 6 }),
    svg('circle', { cx: 8, cy: 11, r: 1.2, class: 'fill' }), svg('circle', { cx: 12, cy: 11, r: 1.2, class: 'fill' })],
  LLM: () => [svg('path', { d: 'M10 2 L12 8 L18 10 L12 12 L10 18 L8 12 L2 10 L8 8 Z', class: 'fill' })],
  TOOL: () => [svg('path', { d: 'M13.5 3.5 a4 4 0 0 0 -4.8 5.2 L3.5 13.9 a1.6 1.6 0 0 0 2.3 2.3 L11 11 a4 4 0 0 0 5.2 -4.8 L13.8 8.6 L11.6 8.2 L11.2 6 Z' })],
  RETRIEVAL: () => [svg('circle', { cx: 8.5, cy: 8.5, r: 5 }), svg('line', { x1: 12.2, y1: 12.2, x2: 17, y2: 17 })],
  CHAIN: () => [svg('rect', { x: 2.5, y: 7, width: 8, height: 6, rx: 3 }), svg('rect', { x: 9.5, y: 7, width: 8, height: 6, rx: 3 })],
  CUSTOM: () => [svg('path', { d: 'M10 3 L17 10 L10 17 L3 10 Z' })],
};

export function kindIcon(type) {
  const kind = SHAPES[type] ? type : 'CUSTOM';
  return h('span', { class: `kind kind-${kind.toLowerCase()}`, title: type, role: 'img', 'aria-label': type },
    svg('svg', { viewBox: '0 0 20 20', width: 14, height: 14, 'aria-hidden': 'true' }, SHAPES[kind]()));
}

/** Orders spans depth-first (children by start time) and gives each its depth. */
export function flattenTree(spans) {
  const byParent = new Map();
  const ids = new Set(spans.map(s => s.id));
  for (const span of spans) {
    const parent = span.parentSpanId && ids.has(span.parentSpanId) ? span.parentSpanId : null;
    if (!byParent.has(parent)) byParent.set(parent, []);
    byParent.get(parent).push(span);
  }
  for (const list of byParent.values()) list.sort((a, b) => (a.startTime ?? '').localeCompare(b.startTime ?? ''));
  const out = [];
  const walk = (parent, depth) => {
    for (const span of byParent.get(parent) ?? []) {
      out.push({ span, depth });
      walk(span.id, depth + 1);
    }
  };
  walk(null, 0);
  return out;
}

function parseMaybeJson(text) {
  if (typeof text !== 'string') return text;
  try { return JSON.parse(text); } catch { return text; }
}

/** The chat messages inside an LLM input: {messages: [...]} or a bare array of {role, content}. */
export function messagesOf(input) {
  const list = Array.isArray(input) ? input : Array.isArray(input?.messages) ? input.messages : null;
  return list && list.every(m => m && typeof m === 'object' && 'role' in m) ? list : null;
}

function contentText(content) {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map(part => part?.text ?? (part?.type ? `[${part.type}]` : json(part))).join('\n');
  return json(content);
}

export function toolCallView(call) {
  const fn = call.function ?? call;
  const args = parseMaybeJson(fn.arguments ?? fn.args ?? null);
  return h('div', { class: 'tool-call' },
    h('div', { class: 'tool-call-head' }, kindIcon('TOOL'), ' ', h('code', {}, fn.name ?? '(unnamed tool)'), call.id ? h('span', { class: 'muted small' }, ` · ${call.id}`) : null),
    args !== null ? h('pre', { class: 'code' }, typeof args === 'string' ? args : json(args)) : null);
}

export function messageView(message) {
  const role = message.role ?? 'unknown';
  return h('div', { class: `msg msg-${role}` },
    h('div', { class: 'msg-role' }, role, message.name ? ` · ${message.name}` : '', message.tool_call_id ? ` · reply to ${message.tool_call_id}` : ''),
    message.content !== null && message.content !== undefined && contentText(message.content) !== ''
      ? h('div', { class: 'msg-text' }, contentText(message.content)) : null,
    Array.isArray(message.tool_calls) ? message.tool_calls.map(toolCallView) : null);
}

/** Renders a span input or output: a conversation, an assistant message, plain text or JSON. */
export function payloadView(value) {
  if (value === null || value === undefined) return h('p', { class: 'muted' }, 'Nothing recorded.');
  const messages = messagesOf(value);
  if (messages) {
    const tools = Array.isArray(value.tools) ? value.tools : [];
    const rest = Object.fromEntries(Object.entries(Array.isArray(value) ? {} : value).filter(([k]) => k !== 'messages' && k !== 'tools'));
    return h('div', { class: 'conversation' },
      messages.map(messageView),
      tools.length ? h('details', { class: 'tools-offered' }, h('summary', {}, `Tools offered (${tools.length}): ${tools.map(t => t.function?.name ?? t.name).join(', ')}`), h('pre', { class: 'code' }, json(tools))) : null,
      Object.keys(rest).length ? h('details', {}, h('summary', {}, `Other request fields: ${Object.keys(rest).join(', ')}`), h('pre', { class: 'code' }, json(rest))) : null);
  }
  if (value && typeof value === 'object' && 'role' in value) return h('div', { class: 'conversation' }, messageView(value));
  if (typeof value === 'string') return h('div', { class: 'text-block' }, value);
  return h('pre', { class: 'code' }, json(value));
}

/** The text of an output, for diffs: a plain string, an assistant message's content plus its tool calls, or JSON. */
export function textOf(value) {
  if (value === null || value === undefined) return '';
  if (typeof value === 'string') return value;
  const messages = messagesOf(value);
  if (messages) return messages.map(m => `[${m.role}] ${contentText(m.content)}${m.tool_calls ? ' ' + json(m.tool_calls) : ''}`).join('\n');
  if (typeof value === 'object' && 'role' in value) {
    const calls = (value.tool_calls ?? []).map(c => `${c.function?.name}(${c.function?.arguments ?? ''})`).join('\n');
    return [contentText(value.content), calls].filter(Boolean).join('\n');
  }
  return json(value);
}
