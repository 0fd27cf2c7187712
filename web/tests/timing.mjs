// Click-to-rendered timing of the web page against a running verbatim server
// (issue 5, must-show 3): how long from clicking "Trace" until the spans are
// highlighted and the documents panel is filled, measured inside the page with
// performance.now().
//
//   VERBATIM_URL=http://127.0.0.1:8080 node timing.mjs [--runs 20] [--warmup 3] [--tokens 450] [--json OUT]
//
// Start the server with its response cache off so that no trace is answered
// from the cache, e.g.
//   target/release/verbatim serve --index /work/idx/medium2 --addr 127.0.0.1:0 --cache-entries 0
//
// Texts: every trace uses a different text of about --tokens tokens (450 by
// default): GSM8K model solutions (GSM8K_SOLUTIONS, default
// /work/shared/data/benchmarks/gsm8k/example_model_solutions.jsonl) with a
// passage of a document of the served index spliced in (found with
// /api/v1/search and /api/v1/documents), so each text has long verbatim spans
// and documents to show, like a model output that quotes its training data.
// The warm-up traces (not counted) also calibrate characters per token; the
// token count of each measured text is the server's own (`tokens` of the answer).
//
// What is measured, per click (all inside the page, performance.now()):
//   t0       a capture-phase "click" listener on window (runs before the page's own handler);
//   dom      #result gets aria-busy="false" (the page sets it after it has rendered the
//            highlighted output and the document cards; seen by a MutationObserver);
//   painted  the next frame after `dom` (requestAnimationFrame, then a task): the
//            result is on screen. This is the headline number.
// Also recorded: the fetch of POST /api/v1/trace (PerformanceResourceTiming) and the
// server's own timing_ms.total, so the time can be split into server / network / page.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { launch, baseUrl, cliArg as arg } from './browser.mjs';

const RUNS = Number(arg('runs', 20));
const WARMUP = Number(arg('warmup', 3));
const TARGET_TOKENS = Number(arg('tokens', 450));
const JSON_OUT = arg('json', '');
// VERBATIM_WEB_DIR=DIR serves the page's own files from DIR instead of the copy
// embedded in the server binary (see browser.mjs): to measure page changes before a
// rebuild. It adds a browser→node round trip to every request, the trace too.
const WEB_DIR = process.env.VERBATIM_WEB_DIR || '';
const SOLUTIONS = process.env.GSM8K_SOLUTIONS || '/work/shared/data/benchmarks/gsm8k/example_model_solutions.jsonl';
const BASE = baseUrl();

// ------------------------------------------------------------------ texts

const SOLUTION_KEYS = ['6b_finetuning', '6b_verification', '175b_finetuning', '175b_verification'];
const solutions = fs.readFileSync(SOLUTIONS, 'utf8').split('\n').filter((l) => l.trim()).flatMap((l) => {
  const row = JSON.parse(l);
  return SOLUTION_KEYS.map((k) => row[k]?.solution).filter((s) => typeof s === 'string' && s.trim());
});
if (solutions.length < 100) throw new Error(`${SOLUTIONS}: too few solutions (${solutions.length})`);

async function api(path, body) {
  const res = await fetch(`${BASE}/api/v1/${path}`, body === undefined ? {} : {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path}: HTTP ${res.status} ${await res.text()}`);
  return res.json();
}

/** Corpus passages: documents found by keyword search, cut into ~500-character pieces. */
async function corpusPassages(count) {
  const queries = ['the house', 'long time', 'morning light', 'said the', 'great deal', 'young man', 'the world', 'little girl'];
  const ids = [];
  for (const q of queries) {
    for (const h of (await api('search', { query: q, limit: 5 })).hits || []) if (!ids.includes(h.id)) ids.push(h.id);
  }
  const passages = [];
  for (const [k, id] of ids.entries()) {
    if (passages.length >= count) break;
    const doc = await api(`documents/${encodeURIComponent(id)}`);
    const text = String(doc.text || '').replace(/\s+/g, ' ');
    if (text.length < 20_000) continue;
    // Away from licence headers: from 30% on, a different place for each document.
    for (let j = 0; j < 3 && passages.length < count; j++) {
      let at = Math.floor(text.length * (0.3 + 0.2 * j + 0.01 * k));
      at = text.indexOf('. ', at) + 2;
      const piece = text.slice(at, at + 500);
      passages.push(piece.slice(0, piece.lastIndexOf(' ')));
    }
  }
  if (passages.length < count) throw new Error(`only ${passages.length} corpus passages found`);
  return passages;
}

/** Text i: solutions (from a different place for every i) with passage i after the first one, cut to `chars`. */
function makeText(i, passages, chars) {
  const parts = [];
  let n = 0;
  for (let j = 0; n < chars + 200; j++) {
    const s = solutions[(i * 37 + j * 11) % solutions.length];
    parts.push(s);
    n += s.length + 2;
    if (j === 0) {
      parts.push(passages[i % passages.length]);
      n += passages[i % passages.length].length + 2;
    }
  }
  const text = parts.join('\n\n');
  const cut = text.slice(0, chars);
  return cut.slice(0, Math.max(cut.lastIndexOf(' '), chars - 40)).trim();
}

// ------------------------------------------------------------------ browser

const nproc = os.cpus().length;
const cpuModel = os.cpus()[0]?.model || 'unknown';
const { context, close } = await launch({ viewport: { width: 1400, height: 900 } });
const page = context.pages()[0] || (await context.newPage());
const pageErrors = [];
page.on('pageerror', (e) => pageErrors.push(String(e)));

await page.goto(`${BASE}/`);
await page.waitForFunction(() => document.documentElement.classList.contains('js-ready'));
await page.evaluate(() => {
  // Per click: t0 at the click, dom when #result stops being busy, painted one frame later.
  window.__timing = { runs: [] };
  const result = document.getElementById('result');
  let current = null;
  window.addEventListener('click', (e) => {
    if (e.target.closest && e.target.closest('#trace-btn')) {
      current = { t0: performance.now(), resourcesBefore: performance.getEntriesByType('resource').length };
    }
  }, { capture: true });
  new MutationObserver(() => {
    if (!current || result.getAttribute('aria-busy') !== 'false' || current.dom !== undefined) return;
    const run = current;
    current = null;
    run.dom = performance.now();
    run.highlights = document.querySelectorAll('#output .hl').length;
    run.cards = document.querySelectorAll('#doc-list .doc-card').length;
    run.error = document.getElementById('trace-error').textContent;
    run.outputMatches = document.getElementById('output').textContent === document.getElementById('response').value;
    const trace = performance.getEntriesByType('resource').slice(run.resourcesBefore).filter((r) => r.name.includes('/api/v1/trace')).pop();
    if (trace) run.fetch = { start: trace.startTime, end: trace.responseEnd, bytes: trace.encodedBodySize };
    requestAnimationFrame(() => setTimeout(() => {
      run.painted = performance.now();
      window.__timing.runs.push(run);
    }, 0));
  }).observe(result, { attributes: true, attributeFilter: ['aria-busy'] });
});

let traceAnswer = null;
page.on('response', async (r) => {
  if (r.url().includes('/api/v1/trace') && r.request().method() === 'POST') {
    traceAnswer = r.json().catch(() => null);
  }
});

async function traceOnce(text) {
  const before = await page.evaluate(() => window.__timing.runs.length);
  traceAnswer = null;
  await page.fill('#response', text);
  await page.click('#trace-btn');
  await page.waitForFunction((n) => window.__timing.runs.length > n, before, { timeout: 60_000 });
  const run = await page.evaluate(() => window.__timing.runs.at(-1));
  const answer = traceAnswer ? await traceAnswer : null;
  if (run.error) throw new Error(`trace failed: ${run.error}`);
  if (!run.outputMatches) throw new Error('rendered output differs from the traced text');
  return {
    chars: text.length,
    tokens: answer?.tokens ?? null,
    spans: answer?.spans?.length ?? null,
    documents: run.cards,
    highlights: run.highlights,
    server_ms: answer?.timing_ms?.total ?? null,
    fetch_ms: run.fetch ? run.fetch.end - run.fetch.start : null,
    click_to_fetch_ms: run.fetch ? run.fetch.start - run.t0 : null,
    fetch_to_dom_ms: run.fetch ? run.dom - run.fetch.end : null,
    dom_to_painted_ms: run.painted - run.dom,
    response_bytes: run.fetch ? run.fetch.bytes : null,
    click_to_dom_ms: run.dom - run.t0,
    click_to_painted_ms: run.painted - run.t0,
  };
}

const passages = await corpusPassages(RUNS + WARMUP);

// Warm-up (browser JIT, server threads); also calibrates characters per token.
let charsPerToken = 3.6;
const warm = [];
for (let i = 0; i < WARMUP; i++) {
  const r = await traceOnce(makeText(RUNS + i, passages, Math.round(TARGET_TOKENS * charsPerToken)));
  warm.push(r);
  if (r.tokens) charsPerToken = warm.reduce((a, w) => a + w.chars, 0) / warm.reduce((a, w) => a + (w.tokens || 0), 0);
}
const chars = Math.round(TARGET_TOKENS * charsPerToken);

const runs = [];
for (let i = 0; i < RUNS; i++) {
  const r = await traceOnce(makeText(i, passages, chars));
  runs.push(r);
  console.error(`run ${String(i + 1).padStart(2)}: ${r.tokens} tokens, ${r.spans} spans, ${r.documents} docs: `
    + `click→painted ${r.click_to_painted_ms.toFixed(1)} ms (server ${r.server_ms?.toFixed?.(1)} ms, fetch ${r.fetch_ms?.toFixed(1)} ms)`);
}
await close();
if (pageErrors.length) throw new Error(`the page threw: ${pageErrors.join('; ')}`);

/** Nearest-rank percentile. */
function pct(values, p) {
  const s = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  return s.length ? s[Math.max(0, Math.ceil((p / 100) * s.length) - 1)] : null;
}
const col = (k) => runs.map((r) => r[k]);
const summary = {};
for (const k of ['click_to_painted_ms', 'click_to_dom_ms', 'click_to_fetch_ms', 'fetch_ms', 'server_ms', 'fetch_to_dom_ms', 'dom_to_painted_ms']) {
  summary[k] = { p50: pct(col(k), 50), p90: pct(col(k), 90), min: pct(col(k), 0), max: pct(col(k), 100) };
}
const tokens = col('tokens').filter((t) => t !== null);
const out = {
  url: BASE,
  runs: RUNS,
  warmup: WARMUP,
  target_tokens: TARGET_TOKENS,
  tokens: { min: Math.min(...tokens), median: pct(tokens, 50), max: Math.max(...tokens) },
  machine: { nproc, cpu: cpuModel, loadavg: os.loadavg().map((x) => Number(x.toFixed(2))) },
  browser: 'chromium (headless), 1400x900',
  page: WEB_DIR ? `files of ${path.resolve(WEB_DIR)}` : 'served by the server',
  summary,
  per_run: runs,
};
if (JSON_OUT) fs.writeFileSync(JSON_OUT, `${JSON.stringify(out, null, 2)}\n`);

const f = (v) => (v === null ? '—' : v.toFixed(1));
console.log(`${RUNS} traces (+${WARMUP} warm-up), ${out.tokens.min}–${out.tokens.max} tokens (median ${out.tokens.median}), ${nproc} × ${cpuModel}`);
console.log('measure                      p50      p90      min      max   (ms)');
for (const [k, label] of [
  ['click_to_painted_ms', 'click → rendered (painted)'],
  ['click_to_dom_ms', 'click → DOM complete'],
  ['click_to_fetch_ms', '  click → fetch start'],
  ['fetch_ms', '  POST /api/v1/trace fetch'],
  ['server_ms', '    server timing_ms.total'],
  ['fetch_to_dom_ms', '  fetch end → DOM complete'],
  ['dom_to_painted_ms', '  DOM complete → painted'],
]) {
  const s = summary[k];
  console.log(`${label.padEnd(27)}${f(s.p50).padStart(7)}  ${f(s.p90).padStart(7)}  ${f(s.min).padStart(7)}  ${f(s.max).padStart(7)}`);
}
