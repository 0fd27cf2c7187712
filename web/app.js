// verbatim web page: wires the API, the URL state and the rendering together.
import * as api from './js/api.js';
import { parseHash, writeHash, effectiveTheme, setTheme, VIEWS } from './js/state.js';
import {
  el, fmtInt, fmtMs, plural, truncate, normalizeTrace, renderOutput, describeDisplaySpan, renderDocCard, docTitle,
  WITHHELD,
} from './js/render.js';
import { $, showError, clearError, setBusy, selectedIndex } from './js/ui.js';
import { openDocument } from './js/dialog.js';
import { initSearch, restoreSearch } from './js/search.js';
import {
  advancedOptions, setAdvancedOptions, formOptionsKey, markInvalidOptions, optionLabel, rangeProblem, withOptionLabels,
} from './js/advanced.js';

const ui = {
  tabs: [...document.querySelectorAll('[role="tab"]')],
  themeToggle: $('theme-toggle'),
  traceForm: $('trace-form'),
  prompt: $('prompt'),
  response: $('response'),
  traceIndexField: $('trace-index-field'),
  traceIndex: $('trace-index'),
  traceBtn: $('trace-btn'),
  examples: $('examples'),
  traceError: $('trace-error'),
  result: $('result'),
  resultSummary: $('result-summary'),
  staleNote: $('stale-note'),
  retraceBtn: $('retrace-btn'),
  locateBanner: $('locate-banner'),
  output: $('output'),
  noMatch: $('no-match'),
  docsPanel: $('docs-panel'),
  docsCount: $('docs-count'),
  docsFilter: $('docs-filter'),
  docsFilterText: $('docs-filter-text'),
  showAllBtn: $('show-all-btn'),
  docsEmpty: $('docs-empty'),
  docList: $('doc-list'),
  stageFilter: $('stage-filter'),
  advanced: $('advanced'),
  tooltip: $('span-tooltip'),
  searchIndexField: $('search-index-field'),
  searchIndex: $('search-index'),
  indexesError: $('indexes-error'),
  indexList: $('index-list'),
};

const state = {
  view: 'trace',
  indexes: [],
  groups: [],
  unavailable: [],
  indexesLoaded: false,
  stage: null, // the stage whose documents alone are shown (groups), or null
  traced: null, // {response, prompt, index} of the shown (or running) trace
  tracedForm: null, // the advanced controls as that trace found them (formOptionsKey)
  result: null, // normalized trace answer
  marks: [], // highlight elements, by display index
  selected: null, // selected display span index
  locatedDocKey: null, // the document whose spans are outlined (grouped documents' key: index and id)
  traceCtrl: null,
  searched: null, // {query, mode, index} of the last search run, kept in the URL
};

// ================================================================= helpers

/** Scripted scrolls are smooth unless the user asked for reduced motion. */
function scrollBehavior() {
  return window.matchMedia?.('(prefers-reduced-motion: reduce)').matches ? 'auto' : 'smooth';
}

function hashState() {
  const d = state.selected !== null && state.result ? state.result.display[state.selected] : null;
  return { trace: state.traced, span: d && d.span_ids.length ? d.span_ids[0] : null, view: state.view, search: state.searched };
}

// ================================================================= theme

function syncThemeButton() {
  const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
  const label = `Switch to ${next} theme`;
  ui.themeToggle.setAttribute('aria-label', label);
  ui.themeToggle.title = label;
  ui.themeToggle.dataset.current = effectiveTheme();
}
ui.themeToggle.addEventListener('click', () => {
  setTheme(effectiveTheme() === 'dark' ? 'light' : 'dark');
  syncThemeButton();
});
window.matchMedia?.('(prefers-color-scheme: dark)').addEventListener?.('change', syncThemeButton);

// ================================================================= views (tabs)

function setView(view, { focusTab = false, updateHash = true } = {}) {
  if (!VIEWS.includes(view)) view = 'trace';
  state.view = view;
  for (const tab of ui.tabs) {
    const on = tab.dataset.view === view;
    tab.setAttribute('aria-selected', String(on));
    tab.tabIndex = on ? 0 : -1;
    $(tab.getAttribute('aria-controls')).hidden = !on;
    if (on && focusTab) tab.focus();
  }
  hideTooltip();
  if (view === 'indexes') loadIndexes({ render: true });
  if (updateHash) writeHash(hashState());
}

for (const tab of ui.tabs) {
  tab.addEventListener('click', () => setView(tab.dataset.view));
  tab.addEventListener('keydown', (e) => {
    const i = ui.tabs.indexOf(tab);
    let j = null;
    if (e.key === 'ArrowRight') j = (i + 1) % ui.tabs.length;
    else if (e.key === 'ArrowLeft') j = (i - 1 + ui.tabs.length) % ui.tabs.length;
    else if (e.key === 'Home') j = 0;
    else if (e.key === 'End') j = ui.tabs.length - 1;
    if (j !== null) {
      e.preventDefault();
      setView(ui.tabs[j].dataset.view, { focusTab: true });
    }
  });
}

// ================================================================= indexes

let indexesPromise = null;
function loadIndexes({ render = false } = {}) {
  if (!indexesPromise || (render && !state.indexesLoaded)) {
    ui.indexList.setAttribute('aria-busy', 'true');
    indexesPromise = api.getCatalog().then(({ indexes: list, groups, unavailable }) => {
      state.indexes = list;
      state.groups = groups;
      state.unavailable = unavailable;
      state.indexesLoaded = true;
      clearError(ui.indexesError);
      fillIndexPickers();
      return list;
    }).catch((err) => {
      showError(ui.indexesError, `Could not load the list of indexes. ${err.message}`);
      return [];
    }).finally(() => ui.indexList.setAttribute('aria-busy', 'false'));
  }
  return indexesPromise.then((list) => {
    if (render) renderIndexes();
    return list;
  });
}

/** Reads the list of indexes again (it changed on the server), redrawing what shows it. */
function refreshIndexes() {
  indexesPromise = null;
  state.indexesLoaded = false;
  return loadIndexes({ render: state.view === 'indexes' });
}

function fillIndexPickers() {
  // Traces may ask for a group of indexes (every stage at once); search takes one index.
  const groupOptions = state.groups.map((g) => el('option', { value: g.name },
    `${g.name} (${(g.stages || []).map((st) => st.stage).join(' + ')})`));
  for (const [select, field, withGroups] of [[ui.traceIndex, ui.traceIndexField, true], [ui.searchIndex, ui.searchIndexField, false]]) {
    const keep = select.value || (state.traced && state.traced.index) || '';
    const options = state.indexes.map((ix) => el('option', { value: ix.name }, ix.name));
    if (withGroups) options.push(...groupOptions);
    const several = options.length > 1;
    select.replaceChildren(...options);
    if (keep && options.some((o) => o.value === keep)) select.value = keep;
    field.hidden = !several;
    select.disabled = !several;
  }
}

function approx(n) {
  if (typeof n !== 'number' || n < 10000) return '';
  return `≈ ${new Intl.NumberFormat('en-US', { notation: 'compact', compactDisplay: 'long', maximumFractionDigits: 1 }).format(n)}`;
}

function renderIndexes() {
  if (!state.indexesLoaded) return;
  const down = (state.unavailable || []).map(unavailableCard);
  if (!state.indexes.length) {
    ui.indexList.replaceChildren(el('p', { class: 'empty-inline' }, 'This server has no index loaded.'), ...down);
    return;
  }
  ui.indexList.replaceChildren(...state.indexes.map((ix) => {
    // built_at is Unix time in seconds (JavaScript dates count milliseconds).
    const built = typeof ix.built_at === 'number' && ix.built_at > 0 ? new Date(ix.built_at * 1000) : null;
    const validDate = built && !Number.isNaN(built.getTime());
    const builtText = validDate ? built.toLocaleDateString('en-US', { dateStyle: 'medium' }) : '—';
    const builtTime = validDate ? built.toLocaleTimeString('en-US', { timeStyle: 'short' }) : '';
    const stat = (label, value, sub, attrs) => el('div', { class: 'stat', ...attrs },
      el('dt', null, label), el('dd', null, value, sub ? el('span', { class: 'stat-sub' }, sub) : null));
    const hash = typeof ix.tokenizer_sha256 === 'string' ? ix.tokenizer_sha256 : '';
    const sources = Array.isArray(ix.source_stats) ? ix.source_stats : [];
    const sourceTable = sources.length ? el('table', { class: 'source-table' },
      el('caption', null, 'Documents and tokens per source'),
      el('thead', null, el('tr', null,
        el('th', { scope: 'col' }, 'Source'),
        el('th', { scope: 'col', class: 'num' }, 'Documents'),
        el('th', { scope: 'col', class: 'num' }, 'Tokens'))),
      el('tbody', null, ...sources.map((src) => el('tr', null,
        el('td', null, typeof src.name === 'string' ? src.name : '(no source)'),
        el('td', { class: 'num' }, fmtInt(src.documents)),
        el('td', { class: 'num' }, fmtInt(src.tokens)))))) : null;
    return el('article', { class: 'card index-card', 'aria-label': `Index ${ix.name}` },
      el('h3', null, ix.name),
      el('dl', { class: 'stats' },
        stat('Tokens', fmtInt(ix.tokens), approx(ix.tokens)),
        stat('Documents', fmtInt(ix.documents), approx(ix.documents)),
        stat('Tokenizer', ix.tokenizer_family || ix.tokenizer || '—', ix.tokenizer_family && ix.tokenizer ? ix.tokenizer : ''),
        stat('Tokenizer sha256', hash ? `${hash.slice(0, 12)}…` : '—', null, hash ? { title: hash, class: 'stat stat-hash' } : null),
        stat('Token width', ix.token_width ? plural(ix.token_width, 'byte') : '—'),
        stat('Shards', fmtInt(ix.shards)),
        stat('Built', builtText, builtTime, { class: 'stat stat-built' })),
      sourceTable);
  }), ...(state.groups || []).map(groupCard), ...down);
}

/** An index or group the server lists but cannot answer from, with the reason it gives. */
function unavailableCard(u) {
  return el('article', { class: 'card index-card unavailable-card', 'aria-label': `${u.name}, unavailable` },
    el('h3', null, `${u.name} `, el('span', { class: 'stat-sub' }, 'unavailable: its queries are refused')),
    el('p', { class: 'unavailable-reason' }, typeof u.error === 'string' ? u.error : 'No reason given.'));
}

/** A group of served indexes traced as one: its size and its stages in order. */
function groupCard(g) {
  const stages = Array.isArray(g.stages) ? g.stages : [];
  return el('article', { class: 'card group-card', 'aria-label': `Group ${g.name}` },
    el('h3', null, `${g.name} `, el('span', { class: 'stat-sub' }, `group of ${plural(stages.length, 'index', 'indexes')}`)),
    el('dl', { class: 'stats' },
      el('div', { class: 'stat' }, el('dt', null, 'Tokens'), el('dd', null, fmtInt(g.tokens))),
      el('div', { class: 'stat' }, el('dt', null, 'Documents'), el('dd', null, fmtInt(g.documents)))),
    el('ol', { class: 'group-stages' }, ...stages.map((st) => el('li', null,
      `${st.stage}`, st.stage !== st.index ? ` (index ${st.index})` : '', `: ${plural(st.documents, 'document')}`))));
}

// ================================================================= examples

function loadExamples() {
  api.getExamples().then((examples) => {
    const list = ui.examples.querySelector('.example-list');
    list.replaceChildren(...examples.filter((ex) => ex && typeof ex.response === 'string').map((ex) => el('button', {
      type: 'button',
      class: 'chip-btn',
      title: ex.prompt ? `Prompt: ${truncate(ex.prompt, 120)}` : truncate(ex.response, 120),
      onclick: () => {
        ui.prompt.value = ex.prompt || '';
        ui.response.value = ex.response;
        runTrace({ push: true });
      },
    }, ex.title || truncate(ex.response, 32))));
    ui.examples.hidden = list.children.length === 0;
  }).catch(() => {
    ui.examples.hidden = true; // examples are optional
  });
}

// ================================================================= trace

/** How long a trace may take before the old result is dimmed as busy. */
const DIM_AFTER_MS = 250;

async function runTrace({ push = true, spanId = null, input = null } = {}) {
  const req = input || {
    response: ui.response.value,
    prompt: ui.prompt.value,
    index: selectedIndex(ui.traceIndex, ui.traceIndexField),
    options: advancedOptions(),
  };
  clearError(ui.traceError);
  if (!req.response.trim()) {
    showError(ui.traceError, 'There is no text to trace. Paste or type the model output into the “Model output” box first.');
    ui.response.setAttribute('aria-invalid', 'true');
    ui.response.focus();
    return;
  }
  ui.response.removeAttribute('aria-invalid');
  // The advanced controls as typed are checked against their own ranges first, and a wrong
  // one is named by its label (the server would name it by its API name).
  if (!input) {
    const bad = markInvalidOptions();
    if (bad) {
      showError(ui.traceError, `“${optionLabel(bad)}” ${rangeProblem(bad)}.`);
      ui.advanced.open = true;
      bad.focus();
      return;
    }
  }
  state.traceCtrl?.abort();
  const ctrl = new AbortController();
  state.traceCtrl = ctrl;
  const options = req.options && typeof req.options === 'object' ? req.options : {};
  state.traced = { response: req.response, prompt: req.prompt || '', index: req.index || '', options };
  // The controls as this trace found them (a shared URL's options are put into them first).
  state.tracedForm = formOptionsKey();
  // A trace started here shows the trace view; one restored from the URL keeps the URL's view.
  const body = { ...options, response: req.response };
  if (req.prompt) body.prompt = req.prompt;
  if (req.index) body.index = req.index;
  // Send the request first: the URL and busy-state updates below run while the server works.
  const answer = api.trace(body, { signal: ctrl.signal });
  if (!input && state.view !== 'trace') setView('trace', { updateHash: false });
  writeHash({ trace: state.traced, span: spanId, view: state.view, search: state.searched }, { push });

  setBusy(ui.traceBtn, [ui.result, ui.docsPanel], true, 'Tracing…', 'Trace');
  // Dim the old result only when the answer is slow to come: most traces take tens
  // of milliseconds, and a dim-then-undim flash costs two full-page compositing
  // passes (tens of ms where the browser composites in software) for nothing.
  const dimTimer = setTimeout(() => {
    ui.docsPanel.classList.add('is-loading');
    ui.result.classList.add('is-loading');
  }, DIM_AFTER_MS);
  try {
    const data = await answer;
    if (ctrl !== state.traceCtrl) return;
    showResult(normalizeTrace(data, req.response), spanId, { reveal: !input });
  } catch (err) {
    if (err && err.name === 'AbortError') return;
    if (ctrl !== state.traceCtrl) return;
    // Do not leave an older result on screen under the new text.
    hideResult();
    showError(ui.traceError, err instanceof api.ApiError ? withOptionLabels(err.message) : 'Something went wrong while tracing. Please try again.');
    // The index went down while the page was open: the lists learn it (the Indexes view
    // says why), and the pickers stop offering it.
    if (err instanceof api.ApiError && err.code === 'index_unavailable') refreshIndexes();
  } finally {
    clearTimeout(dimTimer);
    if (ctrl === state.traceCtrl) {
      state.traceCtrl = null;
      setBusy(ui.traceBtn, [ui.result, ui.docsPanel], false, 'Tracing…', 'Trace');
      ui.docsPanel.classList.remove('is-loading');
      ui.result.classList.remove('is-loading');
    }
  }
}

function showResult(result, spanId, { reveal = false } = {}) {
  resetDocScroll();
  state.result = result;
  ui.traceForm.classList.add('has-result');
  state.selected = null;
  state.locatedDocKey = null;
  state.stage = null;
  hideTooltip();
  ui.result.hidden = false;
  ui.staleNote.hidden = true;
  ui.locateBanner.hidden = true;

  state.marks = renderOutput(ui.output, result);
  ui.noMatch.hidden = result.display.length > 0;
  ui.noMatch.textContent = result.display.length ? '' : noMatchText(result.response, state.traced?.options || {});

  // Overlapping spans are drawn as one highlight: say so when the numbers differ.
  const drawn = result.display.length < result.spans.length ? ` (${plural(result.display.length, 'highlight')})` : '';
  const parts = [`${plural(result.spans.length, 'matched span')}${drawn}`, plural(result.documents.length, 'document')];
  if (result.index) parts.push(`index ${result.index}`);
  if (result.piiDropped) parts.push(`${plural(result.piiDropped, 'document')} withheld (personal data)`);
  if (result.tokens !== null) parts.push(plural(result.tokens, 'token'));
  if (result.timing !== null) parts.push(fmtMs(result.timing));
  ui.resultSummary.textContent = parts.join(' · ');

  if (spanId !== null && spanId !== undefined) {
    const d = result.display.find((x) => x.span_ids.includes(spanId));
    if (d) {
      selectSpan(d.index, { updateHash: false });
      state.marks[d.index].scrollIntoView({ block: 'nearest' });
      return;
    }
  }
  renderDocs();
  writeHash(hashState());
  if (reveal) {
    const top = ui.result.getBoundingClientRect().top;
    // 'nearest': just enough to show the whole result (its top when it is taller than the window),
    // which keeps the documents panel's heading in view beside it.
    if (top > window.innerHeight * 0.6) ui.result.scrollIntoView({ block: 'nearest', behavior: scrollBehavior() });
  }
}

/** Whether two index selections name the same index ('' is the server's first one). */
function sameIndex(a, b) {
  const first = state.indexes[0]?.name ?? '';
  return (a || first) === (b || first);
}


/** Scripts written without spaces between words. */
const UNSPACED = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}]/u;

/** Whether most of the letters of `text` are of scripts written without spaces. */
function mostlyUnspaced(text) {
  const letters = text.match(/\p{L}/gu) || [];
  const unspaced = letters.filter((c) => UNSPACED.test(c)).length;
  return unspaced > 0 && unspaced * 2 >= letters.length;
}

/**
 * The "nothing found" note. A span starts only where a word does (after a space or
 * punctuation, OLMoTrace's rule), so text without spaces between words is found only after
 * its punctuation unless partial words are allowed: say so.
 */
function noMatchText(response, options) {
  const base = 'No part of this text was found verbatim in the index. Only long spans that occur word for word in the training data are highlighted.';
  if (options.allow_spans_with_partial_words || !mostlyUnspaced(response)) return base;
  return `${base} This text is written without spaces between words, and a span starts only after a space or punctuation: try Advanced → “Allow spans with partial words”.`;
}

/** Shows the "changed since this trace" note when the text, the index or an option changed. */
function checkStale() {
  if (!state.result || !state.traced) return;
  const same = ui.response.value === state.traced.response
    && ui.prompt.value === state.traced.prompt
    && sameIndex(selectedIndex(ui.traceIndex, ui.traceIndexField), state.traced.index || '')
    && formOptionsKey() === state.tracedForm;
  ui.staleNote.hidden = same;
}

// ---------------------------------------------------------------- selection

function selectSpan(index, { updateHash = true } = {}) {
  resetDocScroll();
  state.selected = index;
  state.marks.forEach((m, i) => {
    const on = i === index;
    m.classList.toggle('is-selected', on);
    m.setAttribute('aria-pressed', String(on));
  });
  renderDocs();
  if (updateHash) writeHash(hashState());
}

function toggleSpan(index) {
  selectSpan(state.selected === index ? null : index);
  // On narrow screens the panel is stacked below: bring the documents into view.
  if (state.selected !== null && window.matchMedia('(max-width: 980px)').matches) {
    const top = ui.docsPanel.getBoundingClientRect().top;
    if (top > window.innerHeight * 0.75) ui.docsPanel.scrollIntoView({ block: 'start', behavior: scrollBehavior() });
  }
}

ui.output.addEventListener('click', (e) => {
  const mark = e.target.closest('.hl');
  if (mark) toggleSpan(Number(mark.dataset.index));
});
ui.output.addEventListener('keydown', (e) => {
  const mark = e.target.closest('.hl');
  if (!mark) return;
  if (e.key === 'Enter' || e.key === ' ' || e.key === 'Spacebar') {
    e.preventDefault();
    toggleSpan(Number(mark.dataset.index));
  } else if (e.key === 'Escape') {
    hideTooltip();
    if (state.selected !== null) selectSpan(null);
  }
});
ui.showAllBtn.addEventListener('click', () => {
  const idx = state.selected;
  selectSpan(null);
  if (idx !== null) state.marks[idx]?.focus({ preventScroll: true });
});

// ---------------------------------------------------------------- documents panel

/**
 * Scroll the documents list back to its top. Call it before changing the page:
 * setting scrollTop needs an up-to-date layout, which is free then and costs a
 * full extra layout once the output and the cards have been replaced.
 */
function resetDocScroll() {
  ui.docList.scrollTop = 0;
}

function renderDocs() {
  const r = state.result;
  if (!r) {
    ui.docList.replaceChildren();
    ui.docsEmpty.hidden = false;
    ui.docsFilter.hidden = true;
    ui.docsCount.hidden = true;
    return;
  }
  const selected = state.selected !== null ? r.display[state.selected] : null;
  const selIds = selected ? selected.span_ids : null;
  const bySpan = selIds
    ? r.documents.filter((d) => d.span_ids.some((id) => selIds.includes(id)))
    : r.documents;
  renderStageFilter(r, bySpan);
  const docs = state.stage === null ? bySpan : bySpan.filter((d) => d.stage === state.stage);

  ui.docsCount.hidden = false;
  ui.docsCount.textContent = selIds ? `${docs.length} of ${r.documents.length}` : String(r.documents.length);
  ui.docsFilter.hidden = !selected;
  if (selected) {
    const text = r.response.slice(selected.utf16_start, selected.utf16_end);
    // A highlight may merge overlapping spans: each listed document holds one of them, not
    // necessarily the whole highlighted text.
    const lead = selIds.length > 1
      ? `${plural(docs.length, 'document')} containing one of the ${selIds.length} overlapping spans in `
      : `${plural(docs.length, 'document')} containing `;
    ui.docsFilterText.replaceChildren(lead, el('q', { class: 'filter-quote' }, truncate(text, 80)));
  }

  const emptyTitle = ui.docsEmpty.querySelector('.empty-title');
  if (!docs.length) {
    ui.docsEmpty.hidden = false;
    // Why the selected spans (or, with none selected, all of them) show nothing, when the
    // server said so for each of them.
    const shownSpans = selIds ? selIds.map((id) => r.spansById.get(id)).filter(Boolean) : r.spans;
    const reasons = new Set(shownSpans.map((s) => s.withheld));
    const withheld = shownSpans.length > 0 && !reasons.has(null) && !reasons.has(undefined);
    const one = Boolean(selIds); // a highlight clicked, however many spans it merges
    emptyTitle.textContent = withheld
      ? (one ? 'This span’s documents are withheld' : 'The documents of these spans are withheld')
      : r.spans.length ? 'No documents were returned for this span' : 'No matching documents';
    ui.docsEmpty.querySelector('p:last-child').textContent = withheld
      ? `The text occurs in the training data, but ${reasons.size === 1 ? WITHHELD[[...reasons][0]] : `${WITHHELD.taken_down}, or ${WITHHELD.personal_data}`}.`
      : r.spans.length
        ? 'The server found the text in the index but sent no document for it.'
        : 'Nothing in this text was found verbatim in the training data.';
  } else {
    ui.docsEmpty.hidden = true;
  }
  ui.docList.replaceChildren(...docs.map((doc) => renderDocCard(doc, {
    spansById: r.spansById,
    selectedSpanIds: selIds,
    locatedDocKey: state.locatedDocKey,
    onLocate: toggleLocate,
    onView: (d) => openDocument(d, matchTexts(d, r.spansById), d.index || r.index, selIds ? matchTexts(d, r.spansById, selIds) : [], markedSpans(d, r.spansById, selIds)),
  })));
}

/**
 * A document's spans as token ids for the server to mark where their tokens are (not text
 * that only looks the same), each saying whether it is one the user selected; empty when the
 * server sent no ids (the texts are marked instead).
 */
function markedSpans(doc, spansById, selected = null) {
  const spans = doc.span_ids.map((id) => spansById.get(id)).filter((s) => s && Array.isArray(s.token_ids) && s.token_ids.length);
  return spans.map((s) => ({ ids: s.token_ids, selected: Boolean(selected && selected.includes(s.id)) }));
}

/**
 * The texts to mark in a document's full text, of all its spans or only of those `only`
 * names: each snippet's match, which is the document's own text, and each span's text, which
 * is the output's. They differ where the tokenizer normalizes (NFC): "cafe\u0301" in the
 * output matched "café" in the document.
 */
function matchTexts(doc, spansById, only = null) {
  const keep = (id) => only === null || only.includes(id);
  const fromDoc = doc.snippets.filter((sn) => sn && keep(sn.span_id)).map((sn) => sn.match).filter((t) => typeof t === 'string');
  const fromSpans = doc.span_ids.filter(keep).map((id) => spansById.get(id)?.text).filter((t) => typeof t === 'string');
  return [...fromDoc, ...fromSpans];
}

/** Stage chips (groups only): "All" and one per stage, each with its document count. */
function renderStageFilter(r, docs) {
  ui.stageFilter.hidden = r.stages.length < 2;
  if (ui.stageFilter.hidden) {
    ui.stageFilter.replaceChildren();
    return;
  }
  const chip = (label, stage, n) => el('button', {
    type: 'button',
    class: 'chip-btn stage-chip',
    'aria-pressed': String(state.stage === stage),
    dataset: { stage: stage ?? '' },
    onclick: () => {
      state.stage = state.stage === stage ? null : stage;
      renderDocs();
      // The chips were made anew: the keyboard focus stays on the one pressed.
      const again = [...ui.stageFilter.querySelectorAll('.stage-chip')].find((c) => c.dataset.stage === (stage ?? ''));
      again?.focus({ preventScroll: true });
    },
  }, `${label} `, el('span', { class: 'count-badge' }, fmtInt(n)));
  ui.stageFilter.replaceChildren(
    chip('All stages', null, docs.length),
    ...r.stages.map((st) => chip(st.stage, st.stage, docs.filter((d) => d.stage === st.stage).length)),
  );
}

function toggleLocate(doc) {
  const r = state.result;
  if (!r) return;
  state.locatedDocKey = state.locatedDocKey === doc.key ? null : doc.key;
  const ids = state.locatedDocKey ? new Set(doc.span_ids) : new Set();
  let first = null;
  let n = 0;
  for (const m of state.marks) {
    const on = m.dataset.spanIds.split(',').some((id) => ids.has(Number(id)));
    m.classList.toggle('is-located', on);
    if (on) {
      n++;
      first = first || m;
    }
  }
  for (const card of ui.docList.querySelectorAll('.doc-card')) {
    const on = card.dataset.docKey === state.locatedDocKey;
    card.classList.toggle('is-located', on);
    const btn = card.querySelector('.locate-btn');
    btn.setAttribute('aria-pressed', String(on));
    btn.textContent = on ? 'Hide spans' : 'Locate spans';
  }
  if (state.locatedDocKey) {
    ui.locateBanner.hidden = false;
    ui.locateBanner.replaceChildren(
      el('span', { class: 'locate-swatch', 'aria-hidden': 'true' }),
      el('span', null, `Outlined ${plural(n, 'passage')} found in `, el('q', null, truncate(docTitle(doc), 60)), '. '),
      el('button', { type: 'button', class: 'link-btn', onclick: () => toggleLocate(doc) }, 'Clear'),
    );
    first?.scrollIntoView({ block: 'nearest', behavior: scrollBehavior() });
  } else {
    ui.locateBanner.hidden = true;
  }
}

// ---------------------------------------------------------------- tooltip

// The span the tooltip describes. Scrolling (the page's own "reveal" scroll after a
// trace, a focus() that scrolls, the user's wheel) moves the tooltip along with its
// span instead of hiding it: hiding on every scroll event made a tooltip shown
// just before a late scroll event vanish while the pointer was still on the span.
let tipAnchor = null;
let tipFrame = 0;

function showTooltip(mark) {
  const r = state.result;
  if (!r) return;
  const d = r.display[Number(mark.dataset.index)];
  if (!d) return;
  if (tipAnchor && tipAnchor !== mark) tipAnchor.removeAttribute('aria-describedby');
  tipAnchor = mark;
  ui.tooltip.replaceChildren(describeDisplaySpan(d, r.spansById));
  ui.tooltip.hidden = false;
  mark.setAttribute('aria-describedby', 'span-tooltip');
  positionTooltip();
}
function positionTooltip() {
  const mark = tipAnchor;
  if (!mark || !mark.isConnected) {
    hideTooltip();
    return;
  }
  const rects = mark.getClientRects();
  const rect = rects[0] || mark.getBoundingClientRect();
  const last = rects[rects.length - 1] || rect;
  if (last.bottom < 0 || rect.top > window.innerHeight) {
    // The span scrolled out of the window: nothing left to point at.
    ui.tooltip.hidden = true;
    return;
  }
  ui.tooltip.hidden = false;
  const tip = ui.tooltip.getBoundingClientRect();
  const margin = 8;
  let left = Math.min(Math.max(margin, rect.left), window.innerWidth - tip.width - margin);
  let top = rect.top - tip.height - margin;
  if (top < margin) top = last.bottom + margin;
  left = Math.max(margin, left);
  ui.tooltip.style.left = `${Math.round(left)}px`;
  ui.tooltip.style.top = `${Math.round(top)}px`;
}
function followTooltip() {
  if (!tipAnchor || tipFrame) return;
  tipFrame = requestAnimationFrame(() => {
    tipFrame = 0;
    if (tipAnchor) positionTooltip();
  });
}
function hideTooltip() {
  tipAnchor = null;
  ui.tooltip.hidden = true;
  for (const m of ui.output.querySelectorAll('[aria-describedby="span-tooltip"]')) m.removeAttribute('aria-describedby');
}
ui.output.addEventListener('mouseover', (e) => {
  const mark = e.target.closest('.hl');
  if (mark) showTooltip(mark);
});
ui.output.addEventListener('mouseout', (e) => {
  const mark = e.target.closest('.hl');
  if (mark && !mark.contains(e.relatedTarget)) hideTooltip();
});
ui.output.addEventListener('focusin', (e) => {
  const mark = e.target.closest('.hl');
  if (mark) showTooltip(mark);
});
ui.output.addEventListener('focusout', hideTooltip);
// Escape closes a tooltip shown by hovering too, wherever focus is (WCAG 1.4.13).
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && tipAnchor && !ui.output.contains(e.target)) hideTooltip();
});
// Capture: also scrolls of inner boxes (the output, the documents list).
window.addEventListener('scroll', followTooltip, { passive: true, capture: true });
window.addEventListener('resize', followTooltip);

// ================================================================= form & URL wiring

ui.traceForm.addEventListener('submit', (e) => {
  e.preventDefault();
  runTrace({ push: true });
});
ui.traceForm.addEventListener('keydown', (e) => {
  if (e.key === 'Enter' && (e.ctrlKey || e.metaKey)) {
    e.preventDefault();
    runTrace({ push: true });
  }
});
ui.retraceBtn.addEventListener('click', () => runTrace({ push: true }));
ui.response.addEventListener('input', checkStale);
ui.prompt.addEventListener('input', checkStale);
ui.advanced.addEventListener('input', checkStale);
ui.advanced.addEventListener('change', checkStale);
ui.traceIndex.addEventListener('change', checkStale);
if (/Mac|iPhone|iPad/.test(navigator.platform || '')) {
  const kbd = document.querySelector('#response-hint kbd');
  if (kbd) kbd.textContent = '⌘';
}

function hideResult() {
  hideTooltip();
  state.result = null;
  state.selected = null;
  state.locatedDocKey = null;
  state.marks = [];
  ui.result.hidden = true;
  ui.traceForm.classList.remove('has-result');
  ui.output.replaceChildren();
  renderDocs();
}

function clearResult() {
  state.traceCtrl?.abort();
  state.traceCtrl = null;
  state.traced = null;
  hideResult();
}

/** Bring the page in line with the URL hash (on load and on back/forward). */
function applyHash() {
  const h = parseHash(window.location.hash);
  if (h.view !== state.view) setView(h.view, { updateHash: false });
  if (JSON.stringify(h.search) !== JSON.stringify(state.searched)) {
    state.searched = h.search;
    restoreSearch(h.search);
  }
  if (!h.trace) {
    if (state.traced) {
      clearResult();
      ui.response.value = '';
      ui.prompt.value = '';
    }
    return;
  }
  const t = state.traced;
  const same = t && t.response === h.trace.response && t.prompt === h.trace.prompt && t.index === h.trace.index
    && JSON.stringify(t.options || {}) === JSON.stringify(h.trace.options || {});
  if (!same) {
    ui.response.value = h.trace.response;
    ui.prompt.value = h.trace.prompt;
    setAdvancedOptions(h.trace.options);
    if (h.trace.index) {
      if (![...ui.traceIndex.options].some((o) => o.value === h.trace.index)) ui.traceIndex.append(el('option', { value: h.trace.index }, h.trace.index));
      ui.traceIndex.value = h.trace.index;
    }
    runTrace({ push: false, spanId: h.span, input: h.trace });
    return;
  }
  if (state.result) {
    const d = h.span === null ? null : state.result.display.find((x) => x.span_ids.includes(h.span));
    const idx = d ? d.index : null;
    if (idx !== state.selected) selectSpan(idx, { updateHash: false });
  }
}
window.addEventListener('popstate', applyHash);
window.addEventListener('hashchange', applyHash);

// ================================================================= start

syncThemeButton();
initSearch({
  defaultIndex: () => state.indexes[0]?.name || '',
  onSearch: (search) => {
    const changed = JSON.stringify(search) !== JSON.stringify(state.searched);
    state.searched = search;
    if (changed) writeHash(hashState(), { push: true });
  },
});
renderDocs();
loadIndexes();
loadExamples();
applyHash();
document.documentElement.classList.add('js-ready');
