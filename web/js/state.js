// Page state kept in the URL hash, and the colour theme kept in localStorage.
//
// Hash format:  #t=<base64url(utf-8 JSON {"response", "prompt"?, "index"?, "options"?})>&s=<span id>
//                &q=<base64url(utf-8 JSON {"query", "mode"?, "index"?})>&v=<view>
//   (options: the advanced trace controls that were set, sent as they are)
//   t  the traced text (restored and re-traced on load)
//   s  the id of the selected span (its documents are shown)
//   q  the last search (restored and searched again on load; mode "cnf" or, by default, keywords)
//   v  the visible view when it is not "trace" ("search" or "indexes")

const THEME_KEY = 'verbatim-theme';
export const VIEWS = ['trace', 'search', 'indexes'];

export function base64urlEncode(str) {
  const bytes = new TextEncoder().encode(str);
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

export function base64urlDecode(s) {
  let b64 = s.replace(/-/g, '+').replace(/_/g, '/');
  while (b64.length % 4) b64 += '=';
  const bin = atob(b64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
}

/**
 * Parse a location hash. Never throws: a damaged hash yields an empty state.
 * @returns {{trace: {response: string, prompt: string, index: string} | null, span: number | null, view: string,
 *   search: {query: string, mode: string, index: string} | null}}
 */
export function parseHash(hash) {
  const out = { trace: null, span: null, view: 'trace', search: null };
  const params = new URLSearchParams(String(hash || '').replace(/^#/, ''));
  const t = params.get('t');
  if (t) {
    try {
      const obj = JSON.parse(base64urlDecode(t));
      if (obj && typeof obj.response === 'string') {
        out.trace = {
          response: obj.response,
          prompt: typeof obj.prompt === 'string' ? obj.prompt : '',
          index: typeof obj.index === 'string' ? obj.index : '',
          options: obj.options && typeof obj.options === 'object' && !Array.isArray(obj.options) ? obj.options : {},
        };
      }
    } catch {
      /* ignore a damaged hash */
    }
  }
  const q = params.get('q');
  if (q) {
    try {
      const obj = JSON.parse(base64urlDecode(q));
      if (obj && typeof obj.query === 'string' && obj.query) {
        out.search = {
          query: obj.query,
          mode: obj.mode === 'cnf' ? 'cnf' : 'keywords',
          index: typeof obj.index === 'string' ? obj.index : '',
        };
      }
    } catch {
      /* ignore a damaged hash */
    }
  }
  const s = params.get('s');
  if (s !== null && /^\d+$/.test(s)) out.span = Number(s);
  const v = params.get('v');
  if (v && VIEWS.includes(v)) out.view = v;
  return out;
}

/** Build a hash string from state (the inverse of parseHash). */
export function buildHash({ trace, span, view, search }) {
  const parts = [];
  if (trace && trace.response) {
    const obj = { response: trace.response };
    if (trace.prompt) obj.prompt = trace.prompt;
    if (trace.index) obj.index = trace.index;
    if (trace.options && Object.keys(trace.options).length) obj.options = trace.options;
    parts.push(`t=${base64urlEncode(JSON.stringify(obj))}`);
    if (span !== null && span !== undefined) parts.push(`s=${span}`);
  }
  if (search && search.query) {
    const obj = { query: search.query };
    if (search.mode === 'cnf') obj.mode = 'cnf';
    if (search.index) obj.index = search.index;
    parts.push(`q=${base64urlEncode(JSON.stringify(obj))}`);
  }
  if (view && view !== 'trace') parts.push(`v=${view}`);
  return parts.length ? `#${parts.join('&')}` : '';
}

/** Replace or push the hash without triggering a hashchange. */
export function writeHash(state, { push = false } = {}) {
  const hash = buildHash(state);
  const current = window.location.hash;
  if (hash === current || (!hash && !current)) return;
  const target = window.location.pathname + window.location.search + hash;
  if (push) window.history.pushState(null, '', target);
  else window.history.replaceState(null, '', target);
}

// ---------------------------------------------------------------- theme

export function savedTheme() {
  try {
    const v = window.localStorage.getItem(THEME_KEY);
    return v === 'light' || v === 'dark' ? v : null;
  } catch {
    return null;
  }
}

export function effectiveTheme() {
  const attr = document.documentElement.getAttribute('data-theme');
  if (attr === 'light' || attr === 'dark') return attr;
  return window.matchMedia && window.matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

export function setTheme(theme) {
  document.documentElement.setAttribute('data-theme', theme);
  try {
    window.localStorage.setItem(THEME_KEY, theme);
  } catch {
    /* not persisted; still applied for this page */
  }
}
