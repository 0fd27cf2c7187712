// Pure data shaping plus DOM builders. Server text is only ever inserted as
// text nodes (never innerHTML), so documents cannot inject markup.

export const RELEVANCE_RANK = { high: 3, medium: 2, low: 1 };
const RELEVANCE_LABEL = { high: 'High relevance', medium: 'Medium relevance', low: 'Low relevance' };

export function relevanceOf(value) {
  return Object.prototype.hasOwnProperty.call(RELEVANCE_RANK, value) ? value : 'low';
}
export function relevanceLabel(value) {
  return RELEVANCE_LABEL[relevanceOf(value)];
}

const intFmt = new Intl.NumberFormat('en-US');
const compactFmt = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

export function fmtInt(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  // Intl is slow enough to show in a profile of a 60-card render; small integers need no grouping.
  return Number.isInteger(n) && Math.abs(n) < 1000 ? String(n) : intFmt.format(n);
}
export function fmtCompact(n) {
  if (typeof n !== 'number' || !Number.isFinite(n)) return '—';
  return n < 10000 ? intFmt.format(n) : compactFmt.format(n);
}
export function plural(n, one, many = `${one}s`) {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}
export function fmtMs(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)} s`;
}

/**
 * Small hyperscript helper: el('a', {href, class}, 'text', childNode, ...).
 * It builds every card of a trace, so it avoids per-call allocations (no
 * Object.entries, no dataset proxy, a single text child set directly): that made
 * it ~5x faster than the straightforward version, a measurable share of a render.
 */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  if (attrs) {
    for (const key in attrs) {
      const value = attrs[key];
      if (value === null || value === undefined || value === false) continue;
      if (key === 'class') node.className = value;
      else if (key === 'dataset') {
        for (const name in value) node.setAttribute(`data-${name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, value[name]);
      } else if (key.startsWith('on') && typeof value === 'function') node.addEventListener(key.slice(2), value);
      else node.setAttribute(key, value === true ? '' : String(value));
    }
  }
  if (children.length === 1 && typeof children[0] === 'string') {
    node.textContent = children[0];
    return node;
  }
  appendChildren(node, children);
  return node;
}

function appendChildren(node, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) appendChildren(node, child);
    else node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Only http(s) links are rendered as links (no javascript:, data:, ...). */
export function safeUrl(value) {
  if (typeof value !== 'string') return null;
  try {
    const u = new URL(value);
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.toString() : null;
  } catch {
    return null;
  }
}

/**
 * A slice of a string without the half of a surrogate pair (an emoji, a rare CJK character)
 * that a cut by UTF-16 index can leave at either end: alone it is drawn as "�".
 */
export function wholeChars(s) {
  const start = /^[\uDC00-\uDFFF]/.test(s) ? 1 : 0;
  const end = /[\uD800-\uDBFF]$/.test(s) ? s.length - 1 : s.length;
  return s.slice(start, Math.max(start, end));
}

export function truncate(text, max) {
  const s = String(text).replace(/\s+/g, ' ').trim();
  return s.length > max ? `${wholeChars(s.slice(0, max - 1)).trimEnd()}…` : s;
}

// ------------------------------------------------------------ data shaping

/** Merge overlapping spans into display spans (fallback when the server sends none). */
export function mergeSpans(spans) {
  const sorted = [...spans].sort((a, b) => a.utf16_start - b.utf16_start || b.utf16_end - a.utf16_end);
  const out = [];
  for (const s of sorted) {
    const last = out[out.length - 1];
    if (last && s.utf16_start < last.utf16_end) {
      last.utf16_end = Math.max(last.utf16_end, s.utf16_end);
      last.span_ids.push(s.id);
      if (RELEVANCE_RANK[relevanceOf(s.relevance)] > RELEVANCE_RANK[last.relevance]) last.relevance = relevanceOf(s.relevance);
    } else {
      out.push({ utf16_start: s.utf16_start, utf16_end: s.utf16_end, span_ids: [s.id], relevance: relevanceOf(s.relevance) });
    }
  }
  return out;
}

/** Group documents that appear more than once into one entry with all their spans. */
export function groupDocuments(documents) {
  const byId = new Map();
  for (const raw of documents) {
    if (!raw || raw.id === undefined || raw.id === null) continue;
    const id = String(raw.id);
    // In a group two indexes may hold the same id: a document is its index and its id.
    const key = JSON.stringify([typeof raw.index === 'string' ? raw.index : null, id]);
    const spanIds = Array.isArray(raw.span_ids) ? raw.span_ids : [];
    const snippets = Array.isArray(raw.snippets) ? raw.snippets : [];
    const existing = byId.get(key);
    if (!existing) {
      byId.set(key, {
        key,
        id,
        index: typeof raw.index === 'string' ? raw.index : '',
        stage: typeof raw.stage === 'string' ? raw.stage : '',
        pii_masked: raw.pii_masked && typeof raw.pii_masked === 'object' ? raw.pii_masked : {},
        source: raw.source ?? null,
        metadata: raw.metadata && typeof raw.metadata === 'object' ? raw.metadata : {},
        bm25: typeof raw.bm25 === 'number' ? raw.bm25 : 0,
        relevance: relevanceOf(raw.relevance),
        span_ids: [...new Set(spanIds)],
        snippets: [...snippets],
        order: byId.size,
      });
    } else {
      for (const sid of spanIds) if (!existing.span_ids.includes(sid)) existing.span_ids.push(sid);
      for (const sn of snippets) if (!existing.snippets.some((x) => x.span_id === sn.span_id)) existing.snippets.push(sn);
      if (typeof raw.bm25 === 'number') existing.bm25 = Math.max(existing.bm25, raw.bm25);
      if (RELEVANCE_RANK[relevanceOf(raw.relevance)] > RELEVANCE_RANK[existing.relevance]) existing.relevance = relevanceOf(raw.relevance);
    }
  }
  // Most relevant first; ties keep the server's order.
  return [...byId.values()].sort(
    (a, b) => RELEVANCE_RANK[b.relevance] - RELEVANCE_RANK[a.relevance] || a.order - b.order,
  );
}

/**
 * Validate and index a trace answer against the text that was sent.
 * Offsets are UTF-16 code units, directly usable with String.slice.
 */
export function normalizeTrace(data, response) {
  const len = response.length;
  const spans = (Array.isArray(data.spans) ? data.spans : [])
    .filter((s) => s && Number.isInteger(s.utf16_start) && Number.isInteger(s.utf16_end) && s.utf16_start < s.utf16_end)
    .map((s) => ({
      ...s,
      utf16_start: Math.max(0, Math.min(len, s.utf16_start)),
      utf16_end: Math.max(0, Math.min(len, s.utf16_end)),
      relevance: relevanceOf(s.relevance),
      document_ids: Array.isArray(s.document_ids) ? s.document_ids.map(String) : [],
      withheld: WITHHELD[s.documents_withheld] ? s.documents_withheld : null,
    }));
  const spansById = new Map(spans.map((s) => [s.id, s]));

  let display = Array.isArray(data.display_spans) && data.display_spans.length
    ? data.display_spans
      .filter((d) => d && Number.isInteger(d.utf16_start) && Number.isInteger(d.utf16_end))
      .map((d) => ({
        utf16_start: Math.max(0, Math.min(len, d.utf16_start)),
        utf16_end: Math.max(0, Math.min(len, d.utf16_end)),
        span_ids: (Array.isArray(d.span_ids) ? d.span_ids : []).filter((id) => spansById.has(id)),
        relevance: relevanceOf(d.relevance),
      }))
    : mergeSpans(spans);
  // Defensive: sorted, non-empty and non-overlapping.
  display.sort((a, b) => a.utf16_start - b.utf16_start);
  const clean = [];
  for (const d of display) {
    const prev = clean[clean.length - 1];
    if (prev && d.utf16_start < prev.utf16_end) d.utf16_start = prev.utf16_end;
    if (d.utf16_start < d.utf16_end) clean.push(d);
  }
  display = clean;
  display.forEach((d, i) => {
    d.index = i;
    if (!d.span_ids.length) {
      d.span_ids = spans.filter((s) => s.utf16_start < d.utf16_end && s.utf16_end > d.utf16_start).map((s) => s.id);
    }
  });

  const documents = groupDocuments(Array.isArray(data.documents) ? data.documents : []);
  // Make the span <-> document links symmetric. A span names its documents by id alone, and
  // in a group two indexes may hold the same id: such an id does not say which of them holds
  // the span, so those documents keep only the span ids the server gave them.
  const sharedIds = new Set();
  const seenIds = new Set();
  for (const doc of documents) (seenIds.has(doc.id) ? sharedIds : seenIds).add(doc.id);
  for (const doc of documents) {
    for (const s of sharedIds.has(doc.id) ? [] : spans) {
      if (s.document_ids.includes(doc.id) && !doc.span_ids.includes(s.id)) doc.span_ids.push(s.id);
    }
    doc.span_ids = doc.span_ids.filter((id) => spansById.has(id)).sort((a, b) => spansById.get(a).utf16_start - spansById.get(b).utf16_start);
  }

  return {
    index: typeof data.index === 'string' ? data.index : '',
    stages: Array.isArray(data.stages) ? data.stages.filter((st) => st && typeof st.stage === 'string') : [],
    options: data.options && typeof data.options === 'object' ? data.options : null,
    piiDropped: typeof data.pii_dropped_documents === 'number' ? data.pii_dropped_documents : 0,
    tokens: typeof data.tokens === 'number' ? data.tokens : null,
    timing: data.timing_ms && typeof data.timing_ms.total === 'number' ? data.timing_ms.total : null,
    response,
    spans,
    spansById,
    display,
    documents,
  };
}

// ------------------------------------------------------------ output

/**
 * Render the response with its display spans as focusable highlight elements.
 * @returns {HTMLElement[]} the highlight elements, in display order
 */
export function renderOutput(container, result) {
  const { response, display, spansById } = result;
  container.replaceChildren();
  const frag = document.createDocumentFragment();
  const marks = [];
  let cursor = 0;
  for (const d of display) {
    if (d.utf16_start > cursor) frag.append(document.createTextNode(response.slice(cursor, d.utf16_start)));
    const count = d.span_ids.reduce((m, id) => Math.max(m, spansById.get(id)?.count ?? 0), 0);
    // Several spans overlap here: one count would be only one of theirs.
    const found = d.span_ids.length > 1
      ? `${d.span_ids.length} overlapping matched spans`
      : `found ${fmtInt(count)} ${count === 1 ? 'time' : 'times'}`;
    const node = el('span', {
      class: `hl rel-${d.relevance}`,
      role: 'button',
      tabindex: '0',
      'aria-pressed': 'false',
      // Named by its whole text (its content); what is known of it is its description.
      'aria-description': `${relevanceLabel(d.relevance).toLowerCase()}, ${found}`,
      dataset: { index: String(d.index), spanIds: d.span_ids.join(','), relevance: d.relevance, count: String(count) },
    }, response.slice(d.utf16_start, d.utf16_end));
    frag.append(node);
    marks.push(node);
    cursor = d.utf16_end;
  }
  if (cursor < response.length) frag.append(document.createTextNode(response.slice(cursor)));
  container.append(frag);
  return marks;
}

/** Why a span shows no document although it occurs in the corpus, as the server says it. */
export const WITHHELD = {
  taken_down: 'every document holding it was taken down',
  personal_data: 'its documents hold personal data and were left out',
};

/** The documents line of a span's tooltip: how many are shown, or why none is. */
function shownLine(s) {
  const tokens = plural(s.token_end - s.token_start, 'token');
  if (s.withheld && !s.document_ids.length) return `No document shown: ${WITHHELD[s.withheld]} · ${tokens}`;
  return `${plural(s.document_ids.length || 0, 'document')} shown · ${tokens}`;
}

/** Tooltip content for one display span. */
export function describeDisplaySpan(d, spansById) {
  const spans = d.span_ids.map((id) => spansById.get(id)).filter(Boolean);
  const root = el('div', { class: 'tooltip-body' });
  root.append(el('div', { class: 'tooltip-title' },
    el('span', { class: `swatch rel-${d.relevance}`, 'aria-hidden': 'true' }),
    relevanceLabel(d.relevance)));
  if (spans.length <= 1) {
    const s = spans[0];
    const count = s ? s.count : 0;
    root.append(el('div', null, `Found ${fmtInt(count)} ${count === 1 ? 'time' : 'times'} in the corpus`));
    if (s) root.append(el('div', { class: 'tooltip-sub' }, shownLine(s)));
    if (s && Array.isArray(s.stage_counts)) {
      root.append(el('div', { class: 'tooltip-sub' }, s.stage_counts.map((c) => `${c.stage}: ${fmtInt(c.count)}`).join(' · ')));
    }
  } else {
    root.append(el('div', null, `${spans.length} overlapping spans:`));
    const list = el('ul', { class: 'tooltip-list' });
    for (const s of spans) {
      list.append(el('li', null, `“${truncate(s.text ?? '', 40)}” — ${fmtInt(s.count)}×, ${relevanceOf(s.relevance)}`));
    }
    root.append(list);
  }
  root.append(el('div', { class: 'tooltip-hint' }, 'Click or press Enter to show its documents'));
  return root;
}

// ------------------------------------------------------------ documents

const SHOWN_META = ['title', 'url', 'license'];

export function docTitle(doc) {
  const t = doc.metadata && typeof doc.metadata.title === 'string' ? doc.metadata.title.trim() : '';
  return t || doc.id;
}

function urlLabel(value) {
  const url = safeUrl(value);
  if (!url) return '';
  const u = new URL(url);
  return truncate(u.host + (u.pathname === '/' ? '' : u.pathname), 60);
}

/** One line of metadata facts (source, id, license, host) for a card or the dialog. */
export function metaLine(doc) {
  const parts = [];
  if (doc.stage) parts.push(el('span', { class: 'chip chip-stage', title: `Training stage (index ${doc.index})` }, doc.stage));
  if (doc.source) parts.push(el('span', { class: 'chip chip-source', title: 'Source' }, String(doc.source)));
  if (docTitle(doc) !== doc.id) parts.push(el('code', { class: 'doc-id', title: 'Document id' }, doc.id));
  const license = doc.metadata && doc.metadata.license;
  if (typeof license === 'string' && license) parts.push(el('span', { class: 'chip chip-license', title: 'License' }, license));
  const host = urlLabel(doc.metadata && doc.metadata.url);
  if (host) parts.push(el('span', { class: 'doc-host', title: String(doc.metadata.url) }, host));
  return parts;
}

function extraMetadata(doc) {
  const entries = Object.entries(doc.metadata || {}).filter(
    ([k, v]) => !SHOWN_META.includes(k) && v !== null && v !== undefined && v !== '',
  );
  if (!entries.length) return null;
  const dl = el('dl', { class: 'meta-list' });
  for (const [k, v] of entries) {
    dl.append(el('dt', null, k), el('dd', null, typeof v === 'object' ? JSON.stringify(v) : String(v)));
  }
  return el('details', { class: 'more-meta' }, el('summary', null, 'More metadata'), dl);
}

// Characters of context shown on each side of a match in a card (the full text is
// one click away in "View document"); the server may send more.
const SNIPPET_CONTEXT = 110;

/** The last ~max characters of text, starting at a word boundary. */
export function clipStart(text, max) {
  const s = String(text ?? '');
  if (s.length <= max) return s;
  const cut = wholeChars(s.slice(s.length - max));
  const sp = cut.search(/\s/);
  return sp >= 0 && sp < max / 3 ? cut.slice(sp + 1) : cut;
}

/** The first ~max characters of text, ending at a word boundary. */
export function clipEnd(text, max) {
  const s = String(text ?? '');
  if (s.length <= max) return s;
  const cut = wholeChars(s.slice(0, max));
  const sp = Math.max(cut.lastIndexOf(' '), cut.lastIndexOf('\n'));
  return sp > (max * 2) / 3 ? cut.slice(0, sp) : cut;
}

function snippetNode(doc, spanId, spansById, highlighted) {
  const sn = doc.snippets.find((x) => x.span_id === spanId);
  const span = spansById.get(spanId);
  // dir=auto: a right-to-left document's snippet reads right to left.
  const li = el('li', { class: `snippet${highlighted ? ' is-selected' : ''}`, dir: 'auto', dataset: { spanId: String(spanId) } });
  if (sn) {
    // Outer whitespace (often a line break) would only put the ellipsis on a line of its own.
    const clippedBefore = clipStart(sn.before, SNIPPET_CONTEXT);
    const clippedAfter = clipEnd(sn.after, SNIPPET_CONTEXT);
    const before = clippedBefore.trimStart();
    const after = clippedAfter.trimEnd();
    // An ellipsis only where text was left out: not at the document's own start or end.
    const cutBefore = sn.at_document_start !== true || clippedBefore.length < String(sn.before ?? '').length;
    const cutAfter = sn.at_document_end !== true || clippedAfter.length < String(sn.after ?? '').length;
    if (before || cutBefore) li.append(el('span', { class: 'ctx' }, `${cutBefore ? '…' : ''}${before}`));
    li.append(el('mark', null, sn.match ?? span?.text ?? ''));
    if (after || cutAfter) li.append(el('span', { class: 'ctx' }, `${after}${cutAfter ? '…' : ''}`));
  } else if (span) {
    li.append(el('mark', null, span.text ?? ''));
  }
  return li;
}

/**
 * One card per document.
 * @param {object} doc grouped document
 * @param {{spansById: Map, selectedSpanIds: number[]|null, locatedDocKey: string|null, onLocate: Function, onView: Function}} ctx
 */
export function renderDocCard(doc, ctx) {
  const { spansById, selectedSpanIds, locatedDocKey } = ctx;
  const rel = doc.relevance;
  const url = safeUrl(doc.metadata && doc.metadata.url);
  const titleText = docTitle(doc);
  const titleId = `doc-title-${cssSafe(doc.key)}`;

  const title = el('h3', { class: `doc-title${titleText === doc.id ? ' is-id' : ''}`, id: titleId },
    url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, titleText) : titleText);

  // Spans of this document: the selected ones first.
  const selected = new Set(selectedSpanIds || []);
  const order = [...doc.span_ids].sort((a, b) => (selected.has(b) ? 1 : 0) - (selected.has(a) ? 1 : 0));
  const LIMIT = 3;
  const list = el('ul', { class: 'snippets', 'aria-label': `Matched text in ${titleText}` });
  // The matches past LIMIT are built on first "show more": most cards never open them.
  for (const sid of order.slice(0, LIMIT)) list.append(snippetNode(doc, sid, spansById, selected.has(sid)));
  let more = null;
  if (order.length > LIMIT) {
    more = el('button', {
      type: 'button',
      class: 'link-btn more-btn',
      'aria-expanded': 'false',
      onclick: (e) => {
        const btn = e.currentTarget;
        const open = btn.getAttribute('aria-expanded') !== 'true';
        if (list.children.length <= LIMIT) {
          for (const sid of order.slice(LIMIT)) list.append(snippetNode(doc, sid, spansById, selected.has(sid)));
        }
        [...list.children].forEach((li, i) => { if (i >= LIMIT) li.hidden = !open; });
        btn.setAttribute('aria-expanded', String(open));
        btn.textContent = open ? 'Show fewer matches' : `Show ${order.length - LIMIT} more ${order.length - LIMIT === 1 ? 'match' : 'matches'}`;
      },
    }, `Show ${order.length - LIMIT} more ${order.length - LIMIT === 1 ? 'match' : 'matches'}`);
  }

  const located = locatedDocKey === doc.key;
  const card = el('li', {
    class: `doc-card rel-${rel}${located ? ' is-located' : ''}`,
    'aria-labelledby': titleId,
    dataset: { docId: doc.id, docKey: doc.key, spanIds: doc.span_ids.join(','), relevance: rel, stage: doc.stage || '' },
  },
  el('div', { class: 'doc-card-head' },
    el('span', { class: `badge rel-${rel}` }, relevanceLabel(rel)),
    el('span', { class: 'doc-span-count' }, plural(doc.span_ids.length, 'span'))),
  title,
  el('div', { class: 'doc-meta' }, metaLine(doc)),
  piiNote(doc),
  list,
  more,
  extraMetadata(doc),
  el('div', { class: 'doc-actions' },
    // Each card's buttons say which document they act on (WCAG 2.4.6): their visible words
    // are the same on every card.
    el('button', {
      type: 'button',
      class: 'btn btn-small locate-btn',
      'aria-pressed': located ? 'true' : 'false',
      'aria-describedby': titleId,
      onclick: () => ctx.onLocate(doc),
    }, located ? 'Hide spans' : 'Locate spans'),
    el('button', { type: 'button', class: 'btn btn-small view-btn', 'aria-describedby': titleId, onclick: () => ctx.onView(doc) }, 'View document')));
  return card;
}

const PII_WORDS = { email: ['e-mail address', 'e-mail addresses'], phone: ['phone number', 'phone numbers'], ip: ['IP address', 'IP addresses'] };

/** "2 e-mail addresses masked" when the privacy filter masked items in the shown text. */
function piiNote(doc) {
  const parts = Object.entries(doc.pii_masked || {})
    .filter(([k, n]) => PII_WORDS[k] && n > 0)
    .map(([k, n]) => `${n} ${PII_WORDS[k][n === 1 ? 0 : 1]}`);
  // The server counts the masks in each snippet shown: two overlapping snippets showing one
  // address count it twice.
  return parts.length ? el('p', { class: 'pii-note' }, `Personal data masked in the snippets shown: ${parts.join(', ')}`) : null;
}

function cssSafe(id) {
  return String(id).replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.charCodeAt(0).toString(16)}`);
}

// ------------------------------------------------------------ full document

function escapeRegExp(s) {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Find every occurrence of every needle in text. Exact match first; if a
 * needle is not found, retry allowing any run of whitespace to differ.
 * @returns {Array<[number, number]>} merged, sorted [start, end) intervals
 */
export function findMatches(text, needles) {
  const found = [];
  for (const raw of new Set(needles)) {
    const needle = String(raw || '').trim();
    if (needle.length < 2) continue;
    let hit = false;
    for (let i = text.indexOf(needle); i !== -1; i = text.indexOf(needle, i + 1)) {
      found.push([i, i + needle.length]);
      hit = true;
    }
    if (!hit) {
      const words = needle.split(/\s+/).map(escapeRegExp);
      const re = new RegExp(words.join('\\s+'), 'g');
      for (let m = re.exec(text); m; m = re.exec(text)) {
        found.push([m.index, m.index + m[0].length]);
        if (m[0].length === 0) re.lastIndex++;
      }
    }
  }
  found.sort((a, b) => a[0] - b[0] || b[1] - a[1]);
  const merged = [];
  for (const [s, e] of found) {
    const last = merged[merged.length - 1];
    if (last && s <= last[1]) last[1] = Math.max(last[1], e);
    else merged.push([s, e]);
  }
  return merged;
}

/** Render text with intervals wrapped in <mark>. Returns the mark elements. */
export function renderMarkedText(container, text, intervals) {
  container.replaceChildren();
  const frag = document.createDocumentFragment();
  const marks = [];
  let cursor = 0;
  intervals.forEach(([s, e], i) => {
    if (s > cursor) frag.append(document.createTextNode(text.slice(cursor, s)));
    const m = el('mark', { class: 'doc-mark', id: `doc-match-${i}` }, text.slice(s, e));
    frag.append(m);
    marks.push(m);
    cursor = e;
  });
  if (cursor < text.length) frag.append(document.createTextNode(text.slice(cursor)));
  container.append(frag);
  return marks;
}

/** Mark query words in a search snippet (case-insensitive, whole text kept). */
export function renderSnippetWithTerms(text, query) {
  const terms = [...new Set(String(query).toLowerCase().split(/\s+/).filter((w) => w.length > 1))];
  const span = el('span', { class: 'snippet-text', dir: 'auto' });
  if (!terms.length) {
    span.textContent = text;
    return span;
  }
  const re = new RegExp(`(${terms.map(escapeRegExp).join('|')})`, 'gi');
  let cursor = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > cursor) span.append(text.slice(cursor, m.index));
    span.append(el('mark', null, m[0]));
    cursor = m.index + m[0].length;
  }
  if (cursor < text.length) span.append(text.slice(cursor));
  return span;
}
