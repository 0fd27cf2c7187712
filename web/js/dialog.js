// The "View document" dialog: full document text with the matched spans marked.
import * as api from './api.js';
import { el, plural, docTitle, metaLine, safeUrl, findMatches, renderMarkedText } from './render.js';
import { $, showError, clearError } from './ui.js';

const ui = {
  dialog: $('doc-dialog'),
  title: $('doc-dialog-title'),
  meta: $('doc-dialog-meta'),
  matches: $('doc-dialog-matches'),
  error: $('doc-dialog-error'),
  body: $('doc-dialog-body'),
  close: $('doc-dialog-close'),
  prev: $('doc-prev-match'),
  next: $('doc-next-match'),
  nav: document.querySelector('#doc-dialog .match-nav'),
};

const state = { token: 0, marks: [], pos: 0, returnFocus: null };

/**
 * Open the dialog for a document and load its full text.
 * @param {{id: string, source?: string|null, metadata?: object}} doc what is known already
 * @param {string[]} needles texts to mark (the document's matched spans)
 * @param {string} index index name for GET /api/v1/documents?id=ID&index=
 * @param {string[]} [selected] texts of the span the user selected: their passages are
 *   marked apart, and the dialog opens at the first of them
 * @param {{ids: number[], selected: boolean}[]} [spans] the spans as token ids: when given
 *   (and the server marks them), the places their tokens are marked instead of the texts
 */
export async function openDocument(doc, needles, index, selected = [], spans = []) {
  const token = ++state.token;
  state.returnFocus = document.activeElement;
  state.marks = [];
  state.pos = 0;
  ui.title.textContent = docTitle(doc);
  ui.meta.replaceChildren(...metaLine(doc));
  ui.matches.textContent = 'Loading the document…';
  ui.prev.disabled = true;
  ui.next.disabled = true;
  ui.nav.hidden = true;
  clearError(ui.error);
  ui.body.replaceChildren(el('div', { class: 'doc-loading' }, el('span', { class: 'spinner', 'aria-hidden': 'true' }), 'Loading…'));
  ui.body.setAttribute('aria-busy', 'true');
  if (!ui.dialog.open) ui.dialog.showModal();
  ui.close.focus();

  try {
    const full = await api.getDocument(doc.id, index, undefined, spans.map((sp) => sp.ids).slice(0, MAX_MARKED_SPANS));
    if (token !== state.token) return;
    const merged = { ...doc, ...full, id: String(full.id ?? doc.id), metadata: full.metadata || doc.metadata || {} };
    ui.title.textContent = docTitle(merged);
    const meta = metaLine(merged);
    const url = safeUrl(merged.metadata.url);
    if (url) meta.push(el('a', { href: url, target: '_blank', rel: 'noopener noreferrer', class: 'doc-link' }, 'Open source ↗'));
    ui.meta.replaceChildren(...meta);

    const text = typeof full.text === 'string' ? full.text : '';
    const byTokens = Array.isArray(full.marks) ? tokenMarks(full.marks, spans, text.length) : null;
    const intervals = byTokens ? byTokens.all : findMatches(text, [...needles, ...selected]);
    state.marks = renderMarkedText(ui.body, text, intervals);
    const first = markSelected(state.marks, intervals, byTokens ? byTokens.selected : findMatches(text, selected));
    if (!text) ui.body.replaceChildren(el('p', { class: 'empty-inline' }, 'This document has no text.'));
    if (full.truncated) {
      ui.body.append(el('p', { class: 'notice truncated-note' }, 'The document is longer than the server returns; the text above is cut short.'));
    }
    ui.matches.textContent = state.marks.length
      ? `${plural(state.marks.length, 'matched passage')} marked`
      : 'The matched spans were not found in the returned text (it may be cut short or differ in spacing).';
    ui.prev.disabled = ui.next.disabled = state.marks.length < 2;
    ui.nav.hidden = state.marks.length < 2;
    if (state.marks.length) goToMatch(Math.max(first, 0));
  } catch (err) {
    if (token !== state.token) return;
    ui.body.replaceChildren();
    ui.matches.textContent = '';
    showError(ui.error, err instanceof api.ApiError ? `Could not load the document. ${err.message}` : 'Could not load the document.');
  } finally {
    if (token === state.token) ui.body.setAttribute('aria-busy', 'false');
  }
}

/** Most spans whose places one document view asks the server for (its limit is 256). */
const MAX_MARKED_SPANS = 256;

/**
 * The intervals to mark from the server's token marks (UTF-16 ranges of `text`, merged where
 * they overlap), and those of the selected spans.
 */
function tokenMarks(marks, spans, length) {
  const ranges = marks
    .filter((m) => m && Number.isInteger(m.utf16_start) && Number.isInteger(m.utf16_end) && m.utf16_start < m.utf16_end && m.utf16_end <= length)
    .map((m) => ({ range: [m.utf16_start, m.utf16_end], selected: Boolean(spans[m.mark]?.selected) }));
  const merge = (list) => {
    const sorted = list.map(([s, e]) => [s, e]).sort((a, b) => a[0] - b[0] || b[1] - a[1]);
    const out = [];
    for (const [s, e] of sorted) {
      const last = out[out.length - 1];
      if (last && s < last[1]) last[1] = Math.max(last[1], e);
      else out.push([s, e]);
    }
    return out;
  };
  return { all: merge(ranges.map((r) => r.range)), selected: merge(ranges.filter((r) => r.selected).map((r) => r.range)) };
}

/**
 * Marks apart the marks (one per interval of `intervals`) that hold a passage of the selected
 * span (`chosen`, intervals of the same text); returns the index of the first, or -1.
 */
function markSelected(marks, intervals, chosen) {
  let first = -1;
  marks.forEach((m, k) => {
    const [start, end] = intervals[k];
    const hit = chosen.some(([s, e]) => s < end && e > start);
    m.classList.toggle('is-selected-span', hit);
    if (hit && first < 0) first = k;
  });
  return first;
}

function goToMatch(i) {
  const marks = state.marks;
  if (!marks.length) return;
  state.pos = (i + marks.length) % marks.length;
  marks.forEach((m, k) => m.classList.toggle('is-current', k === state.pos));
  const m = marks[state.pos];
  // Scroll inside the dialog body only, centring the match.
  const top = m.offsetTop - ui.body.offsetTop - ui.body.clientHeight / 2 + m.offsetHeight / 2;
  ui.body.scrollTop = Math.max(0, top);
  if (marks.length > 1) ui.matches.textContent = `Match ${state.pos + 1} of ${marks.length}`;
}

ui.prev.addEventListener('click', () => goToMatch(state.pos - 1));
ui.next.addEventListener('click', () => goToMatch(state.pos + 1));
ui.close.addEventListener('click', () => ui.dialog.close());
ui.dialog.addEventListener('click', (e) => {
  if (e.target === ui.dialog) ui.dialog.close(); // click on the backdrop
});
ui.dialog.addEventListener('close', () => {
  state.token++;
  const back = state.returnFocus;
  state.returnFocus = null;
  if (back && document.contains(back)) back.focus({ preventScroll: true });
});
