// The keyword search view (POST /api/v1/search).
import * as api from './api.js';
import { el, plural, truncate, docTitle, metaLine, safeUrl, renderSnippetWithTerms } from './render.js';
import { $, showError, clearError, setBusy, selectedIndex } from './ui.js';
import { openDocument } from './dialog.js';

/** Most documents one keyword search shows. */
const SEARCH_LIMIT = 20;

const ui = {
  form: $('search-form'),
  query: $('search-query'),
  mode: $('search-mode'),
  label: $('search-label'),
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
/** The search whose results are shown ({query, mode, index}), or null. */
let drawn = null;
/** Told of each search run from the form ({query, mode, index}), to keep it in the URL. */
let onSearch = () => {};

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

/** A document holding a CNF match: its window with every clause's n-grams marked. */
function cnfCard(doc, index) {
  const d = { id: String(doc.id), source: doc.source ?? null, metadata: doc.metadata && typeof doc.metadata === 'object' ? doc.metadata : {} };
  const titleText = docTitle(d);
  const pieces = Array.isArray(doc.pieces) ? doc.pieces : [];
  const terms = pieces.filter((p) => p.clause !== null).map((p) => String(p.text).trim()).filter(Boolean);
  return el('li', { class: 'doc-card search-hit cnf-hit', dataset: { docId: d.id } },
    el('div', { class: 'doc-card-head' },
      d.source ? el('span', { class: 'chip chip-source' }, String(d.source)) : el('span'),
      el('span', { class: 'score' }, `document #${doc.doc_no}`)),
    el('h3', { class: `doc-title${titleText === d.id ? ' is-id' : ''}` }, titleText),
    el('p', { class: 'search-snippet cnf-snippet' }, ...pieces.map((p) => (p.clause === null
      ? String(p.text)
      : el('mark', { class: `cnf-mark cnf-clause-${Number(p.clause) % 4}`, title: `clause ${Number(p.clause) + 1}` }, String(p.text))))),
    el('div', { class: 'doc-actions' },
      el('button', { type: 'button', class: 'btn btn-small view-btn', onclick: () => openDocument(d, terms, index || defaultIndex()) }, 'View document')));
}

async function runCnf(query, index, signal) {
  const body = { query, limit: 20 };
  if (index) body.index = index;
  const r = await api.cnf(body, { signal });
  const docs = Array.isArray(r.documents) ? r.documents : [];
  const about = r.approx ? 'about ' : '';
  ui.summary.textContent = r.count
    ? `${about}${plural(r.count, 'match', 'matches')} in ${r.approx ? 'a sample of ' : ''}${plural(r.documents_matched, 'document')}${r.approx ? ' (a clause is frequent: counted in a sample of its occurrences and scaled up)' : ''}; ${docs.length < r.documents_matched ? `first ${docs.length} shown` : 'all shown'}`
    : `No document holds “${truncate(query, 60)}” (every clause within 100 tokens of the others).`;
  ui.list.replaceChildren(...docs.map((d) => cnfCard(d, index)));
}

function syncMode() {
  const cnf = ui.mode.value === 'cnf';
  ui.label.textContent = cnf ? 'Exact n-grams: join words with OR, clauses with AND (OR binds tighter)' : 'Keyword search over the training corpus';
  ui.query.placeholder = cnf ? 'e.g. single man AND good fortune OR large fortune' : 'e.g. photosynthesis light energy';
}

/**
 * Runs the search in the form, or `restored` (a search kept in the URL, run against the index
 * it names even before the picker lists it).
 */
async function runSearch(restored = null) {
  const query = restored ? restored.query : ui.query.value.trim();
  clearError(ui.error);
  if (!query) {
    showError(ui.error, 'Type one or more words to search for.');
    ui.query.focus();
    return;
  }
  ctrl?.abort();
  const mine = new AbortController();
  ctrl = mine;
  const index = restored ? restored.index : selectedIndex(ui.index, ui.indexField);
  const mode = restored ? restored.mode : ui.mode.value;
  const search = { query, mode, index };
  if (!restored) onSearch(search);
  drawn = null;
  setBusy(ui.button, ui.results, true, 'Searching…', 'Search');
  try {
    if (mode === 'cnf') {
      await runCnf(query, index, mine.signal);
      if (mine === ctrl) drawn = search;
      return;
    }
    const body = { query, limit: SEARCH_LIMIT };
    if (index) body.index = index;
    const { hits, warnings } = await api.search(body, { signal: mine.signal });
    if (mine !== ctrl) return;
    const readAs = warnings.length ? ` Note: ${warnings.join('; ')}.` : '';
    // A full page says only that these are the best: more documents may match.
    ui.summary.textContent = (hits.length >= SEARCH_LIMIT
      ? `The ${hits.length} documents that best match “${truncate(query, 60)}”, best first.`
      : hits.length
      ? `${plural(hits.length, 'document')} matching “${truncate(query, 60)}”, best first.`
      : `No documents match “${truncate(query, 60)}”.`) + readAs;
    ui.list.replaceChildren(...hits.map((hit) => hitCard(hit, query, index)));
    drawn = search;
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

/**
 * Fills the form with a search kept in the URL and runs it, unless it is the one shown; `null`
 * empties the results (text typed in the box stays).
 * @param {{query: string, mode: string, index: string} | null} search
 */
export function restoreSearch(search) {
  if (!search) {
    // Results of a search no longer in the URL go; text typed in the box stays.
    ctrl?.abort();
    drawn = null;
    ui.summary.textContent = '';
    ui.list.replaceChildren();
    clearError(ui.error);
    return;
  }
  ui.query.value = search.query;
  ui.mode.value = search.mode;
  syncMode();
  if (search.index) {
    if (![...ui.index.options].some((o) => o.value === search.index)) ui.index.append(el('option', { value: search.index }, search.index));
    ui.index.value = search.index;
  }
  if (JSON.stringify(drawn) === JSON.stringify(search)) return;
  runSearch(search);
}

/**
 * @param {{defaultIndex: () => string, onSearch: (s: {query: string, mode: string, index: string}) => void}} opts
 *   the index used to open documents when no picker is shown; told of each search the user runs
 */
export function initSearch(opts) {
  defaultIndex = opts.defaultIndex;
  onSearch = opts.onSearch;
  ui.mode.addEventListener('change', syncMode);
  syncMode();
  ui.form.addEventListener('submit', (e) => {
    e.preventDefault();
    runSearch();
  });
}
