// The keyword search view (POST /api/v1/search).
import * as api from './api.js';
import { el, plural, truncate, docTitle, metaLine, safeUrl, renderSnippetWithTerms } from './render.js';
import { $, showError, clearError, setBusy, selectedIndex } from './ui.js';
import { openDocument } from './dialog.js';

const ui = {
  form: $('search-form'),
  query: $('search-query'),
  indexField: $('search-index-field'),
  index: $('search-index'),
  button: $('search-btn'),
  error: $('search-error'),
  results: $('search-results'),
  summary: $('search-summary'),
  list: $('search-list'),
};

let ctrl = null;
let defaultIndex = () => '';

function hitCard(hit, query, index) {
  const doc = { id: String(hit.id), source: hit.source ?? null, metadata: hit.metadata && typeof hit.metadata === 'object' ? hit.metadata : {} };
  const url = safeUrl(doc.metadata.url);
  const titleText = docTitle(doc);
  const terms = query.split(/\s+/).filter(Boolean);
  return el('li', { class: 'doc-card search-hit', dataset: { docId: doc.id } },
    el('div', { class: 'doc-card-head' },
      doc.source ? el('span', { class: 'chip chip-source' }, String(doc.source)) : el('span'),
      el('span', { class: 'score', title: 'BM25 score' }, `score ${typeof hit.score === 'number' ? hit.score.toFixed(2) : '—'}`)),
    el('h3', { class: `doc-title${titleText === doc.id ? ' is-id' : ''}` },
      url ? el('a', { href: url, target: '_blank', rel: 'noopener noreferrer' }, titleText) : titleText),
    el('div', { class: 'doc-meta' }, metaLine({ ...doc, source: null })),
    hit.snippet ? el('p', { class: 'search-snippet' }, renderSnippetWithTerms(String(hit.snippet), query)) : null,
    el('div', { class: 'doc-actions' },
      el('button', {
        type: 'button',
        class: 'btn btn-small view-btn',
        onclick: () => openDocument(doc, terms, index || defaultIndex()),
      }, 'View document')));
}

async function runSearch() {
  const query = ui.query.value.trim();
  clearError(ui.error);
  if (!query) {
    showError(ui.error, 'Type one or more words to search for.');
    ui.query.focus();
    return;
  }
  ctrl?.abort();
  const mine = new AbortController();
  ctrl = mine;
  const index = selectedIndex(ui.index, ui.indexField);
  setBusy(ui.button, ui.results, true, 'Searching…', 'Search');
  try {
    const body = { query, limit: 20 };
    if (index) body.index = index;
    const hits = await api.search(body, { signal: mine.signal });
    if (mine !== ctrl) return;
    ui.summary.textContent = hits.length
      ? `${plural(hits.length, 'document')} matching “${truncate(query, 60)}”, best first`
      : `No documents match “${truncate(query, 60)}”.`;
    ui.list.replaceChildren(...hits.map((hit) => hitCard(hit, query, index)));
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    if (mine !== ctrl) return;
    ui.summary.textContent = '';
    ui.list.replaceChildren();
    showError(ui.error, err instanceof api.ApiError ? err.message : 'Something went wrong while searching.');
  } finally {
    if (mine === ctrl) {
      ctrl = null;
      setBusy(ui.button, ui.results, false, 'Searching…', 'Search');
    }
  }
}

/** @param {{defaultIndex: () => string}} opts index used to open documents when no picker is shown */
export function initSearch(opts) {
  defaultIndex = opts.defaultIndex;
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    runSearch();
  });
}
