// The API client: same origin, bearer key from sessionStorage, {"data"} envelopes and {"error"} bodies.

const KEY = 'tracereplay.apiKey';

export const auth = {
  get key() { return sessionStorage.getItem(KEY); },
  set(key) { sessionStorage.setItem(KEY, key); },
  clear() { sessionStorage.removeItem(KEY); },
};

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export async function request(path, { method = 'GET', body, key = auth.key, raw = false } = {}) {
  const headers = { Accept: raw ? '*/*' : 'application/json' };
  if (key) headers.Authorization = `Bearer ${key}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'NETWORK', `The server could not be reached (${e.message}).`);
  }
  if (response.status === 401 && key === auth.key && !path.startsWith('/dashboard/')) {
    auth.clear();
    window.dispatchEvent(new CustomEvent('tracereplay:signed-out'));
  }
  if (!response.ok) {
    let code = `HTTP_${response.status}`;
    let message = `${method} ${path} answered ${response.status}.`;
    try {
      const err = (await response.json())?.error;
      if (err) { code = err.code ?? code; message = err.message ?? message; }
    } catch { /* not JSON */ }
    throw new ApiError(response.status, code, message);
  }
  if (raw) return response;
  if (response.status === 204) return null;
  const text = await response.text();
  if (!text) return null;
  const parsed = JSON.parse(text);
  return parsed && typeof parsed === 'object' && 'data' in parsed ? parsed.data : parsed;
}

export const get = (path) => request(path);
export const post = (path, body) => request(path, { method: 'POST', body: body ?? {} });
export const patch = (path, body) => request(path, { method: 'PATCH', body });
export const del = (path) => request(path, { method: 'DELETE' });

let configPromise;
/** {apiKey}: the key pre-filled on sign-in, or null (not a direct loopback request, or the server does not expose it). */
export function dashboardConfig() {
  configPromise ??= request('/dashboard/config', { key: null }).catch(() => ({ apiKey: null }));
  return configPromise;
}

/** Saves a response body (e.g. a CSV fetched with the bearer key) as a file download. */
export async function download(path, fileName) {
  const blob = await (await request(path, { raw: true })).blob();
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = fileName;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10000);
}

export const enc = encodeURIComponent;
