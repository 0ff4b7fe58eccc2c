import { h } from './dom.js';

const providerLabels = {
  openai: 'OpenAI', anthropic: 'Anthropic', google: 'Google', mistral: 'Mistral', deepseek: 'DeepSeek', cohere: 'Cohere',
  xai: 'xAI', groq: 'Groq', together: 'Together AI', custom: 'Custom',
};

const kindLabels = { openai: 'OpenAI-compatible', 'azure-openai': 'Azure OpenAI', anthropic: 'Anthropic', simulator: 'simulator' };

/** How a served model is reached: the provider's name and protocol, or the simulator. */
export function servedVia(m) {
  if (!m.served) return 'not served';
  if (m.simulated) return 'simulator';
  return `${m.servedBy} (${kindLabels[m.servedByKind] ?? m.servedByKind ?? 'provider'})`;
}

/** The model picker's groups: one per provider, served models first, each group saying how many it serves. */
export function modelGroups(models, option) {
  const byProvider = new Map();
  for (const m of models) {
    if (!byProvider.has(m.provider)) byProvider.set(m.provider, []);
    byProvider.get(m.provider).push(m);
  }

  return [...byProvider.entries()]
    .sort(([a, x], [b, y]) => (y.some(m => m.served) - x.some(m => m.served)) || a.localeCompare(b))
    .map(([provider, list]) => {
      const served = list.filter(m => m.served).length;
      const label = `${providerLabels[provider] ?? provider} — ${served === 0 ? 'not served' : served === list.length ? 'served' : `${served} of ${list.length} served`}`;
      return h('optgroup', { label, 'data-provider': provider },
        [...list].sort((a, b) => (b.served - a.served) || a.name.localeCompare(b.name)).map(option));
    });
}
