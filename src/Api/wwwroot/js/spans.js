// Span trees and span payloads: chat messages as a conversation, tool calls as name + arguments.
import { h, json } from './dom.js';

export const KIND_ICONS = { AGENT: '🤖', LLM: '✨', TOOL: '🔧', RETRIEVAL: '🔎', CHAIN: '🔗', CUSTOM: '◆' };

export const kindIcon = (type) => h('span', { class: `kind kind-${(type ?? 'custom').toLowerCase()}`, title: type, 'aria-label': type }, KIND_ICONS[type] ?? '◆');

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
    h('div', { class: 'tool-call-head' }, '🔧 ', h('code', {}, fn.name ?? '(unnamed tool)'), call.id ? h('span', { class: 'muted small' }, ` · ${call.id}`) : null),
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
