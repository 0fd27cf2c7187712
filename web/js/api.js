// Thin client for the verbatim JSON API (see docs for the contract).
// Every failure is turned into an ApiError whose `message` is fit to show.

export class ApiError extends Error {
  /**
   * @param {string} message  plain-words message for people
   * @param {{code?: string, status?: number, detail?: string}} [info]
   */
  constructor(message, { code = 'error', status = 0, detail = '' } = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.detail = detail;
  }
}

const BASE = 'api/v1';

/** Resolve an API path against the page's own location (works behind a path prefix). */
function url(path) {
  return new URL(`${BASE}/${path}`, document.baseURI).toString();
}

function statusWords(status, code) {
  if (code === 'index_unavailable') return 'This index cannot answer until the server is restarted or the index is mended';
  if (code === 'overloaded') return 'The server is busy; please wait a moment and try again';
  if (status === 400 || status === 422) return 'The server could not accept this request';
  if (status === 404) return 'The server could not find what was asked for';
  if (status === 408 || status === 504) return 'The server took too long to answer';
  if (status === 413) return 'The text is too long for the server';
  if (status === 429) return 'The server is busy; please wait a moment and try again';
  if (status === 503) return 'The server cannot answer now';
  if (status >= 500) return 'The server ran into a problem';
  return 'The request failed';
}

/** How long the page waits for an answer before it gives up (the server's own deadline,
 * `serve --deadline-ms`, answers 504 well before this; this catches a connection that hangs). */
export const TIMEOUT_MS = 300_000;

async function request(method, path, body, { signal } = {}) {
  // Aborted by the caller (a newer request) or by the timeout, whichever comes first.
  const ctrl = new AbortController();
  const onAbort = () => ctrl.abort();
  if (signal) {
    if (signal.aborted) ctrl.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; ctrl.abort(); }, TIMEOUT_MS);
  const timeoutError = () => new ApiError(`The server did not answer within ${TIMEOUT_MS / 1000} seconds. Try again, or try a shorter text.`, { code: 'timeout' });
  let res;
  let text = '';
  try {
    try {
      res = await fetch(url(path), {
        method,
        signal: ctrl.signal,
        headers: body === undefined ? { Accept: 'application/json' } : { Accept: 'application/json', 'Content-Type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    } catch (err) {
      if (timedOut) throw timeoutError();
      if (err && err.name === 'AbortError') throw err;
      throw new ApiError('Could not reach the verbatim server. Check that it is running and that you are online, then try again.', { code: 'network' });
    }
    text = await res.text().catch(() => '');
    if (timedOut) throw timeoutError();
    if (signal && signal.aborted) throw new DOMException('aborted', 'AbortError');
  } finally {
    clearTimeout(timer);
    if (signal) signal.removeEventListener('abort', onAbort);
  }

  let data = null;
  if (text) {
    try { data = JSON.parse(text); } catch { data = null; }
  }

  if (!res.ok) {
    const e = data && typeof data === 'object' ? data.error : null;
    const serverMsg = e && typeof e.message === 'string' && e.message.trim() ? e.message.trim() : '';
    const code = e && typeof e.code === 'string' ? e.code : `http_${res.status}`;
    const lead = statusWords(res.status, code);
    const message = serverMsg ? `${lead}: ${serverMsg}` : `${lead} (HTTP ${res.status}).`;
    throw new ApiError(message, { code, status: res.status, detail: serverMsg });
  }
  if (data === null || typeof data !== 'object') {
    throw new ApiError('The server sent an answer this page could not read.', { code: 'bad_response', status: res.status });
  }
  return data;
}

export function getIndexes(opts) {
  return getCatalog(opts).then((c) => c.indexes);
}

/**
 * The served indexes, the groups of them a trace may ask for, and the indexes and groups that
 * answer nothing (each with the reason its queries are refused).
 */
export function getCatalog(opts) {
  return request('GET', 'indexes', undefined, opts).then((d) => ({
    indexes: Array.isArray(d.indexes) ? d.indexes : [],
    groups: Array.isArray(d.groups) ? d.groups : [],
    unavailable: Array.isArray(d.unavailable) ? d.unavailable.filter((u) => u && typeof u.name === 'string') : [],
  }));
}

export function getExamples(opts) {
  return request('GET', 'examples', undefined, opts).then((d) => (Array.isArray(d.examples) ? d.examples : []));
}

/** @param {{response: string, prompt?: string, index?: string}} body */
export function trace(body, opts) {
  return request('POST', 'trace', body, opts);
}

/**
 * The hits, and how the query was read where it was not valid as written.
 * @param {{query: string, limit?: number, index?: string}} body
 */
export function search(body, opts) {
  return request('POST', 'search', body, opts).then((d) => ({
    hits: Array.isArray(d.hits) ? d.hits : [],
    warnings: Array.isArray(d.warnings) ? d.warnings.map(String) : [],
  }));
}

/**
 * A document's text; with `marks` (token-id sequences), where each occurs in its tokens.
 * @param {number[][]} [marks]
 */
export function getDocument(id, index, opts, marks = []) {
  // The id goes in the query: in a path, URL resolution collapses an id of `.` or `..`
  // (even percent-encoded), and the request would name another resource.
  const q = `?id=${encodeURIComponent(id)}` + (index ? `&index=${encodeURIComponent(index)}` : '')
    + (marks.length ? `&marks=${marks.map((ids) => ids.join('.')).join(',')}` : '');
  return request('GET', `documents${q}`, undefined, opts);
}

/** @param {{query: string, limit?: number, index?: string}} body CNF of exact n-grams */
export function cnf(body, opts) {
  return request('POST', 'cnf', body, opts);
}
