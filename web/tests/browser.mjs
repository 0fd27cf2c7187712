// Shared helpers for the browser tests and the screenshot script.
// Uses Debian's chromium (never a downloaded browser build).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/** Base URL of the running verbatim server (no trailing slash). */
export function baseUrl() {
  const raw = process.env.VERBATIM_URL;
  if (!raw) throw new Error('Set VERBATIM_URL to the running verbatim server, e.g. VERBATIM_URL=http://127.0.0.1:8080');
  return raw.replace(/\/+$/, '');
}

/**
 * Launch chromium with a fresh profile directory. Returns {context, close}.
 * Each call gets its own browser context (own storage, own theme choice).
 */
export async function launch({ viewport = { width: 1280, height: 900 }, colorScheme = 'light', deviceScaleFactor = 1 } = {}) {
  if (!fs.existsSync(CHROMIUM)) {
    throw new Error(`No chromium at ${CHROMIUM}: install it with "apt-get update && apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'verbatim-chromium-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport,
    deviceScaleFactor,
    colorScheme,
    reducedMotion: 'reduce',
    timeout: 60_000,
  });
  context.setDefaultTimeout(20_000);
  if (process.env.VERBATIM_WEB_DIR) await serveWebDir(context, process.env.VERBATIM_WEB_DIR);
  return {
    context,
    async close() {
      await context.close().catch(() => {});
      fs.rmSync(userDataDir, { recursive: true, force: true });
    },
  };
}

/**
 * The text to trace and the spans expected in it.
 * VERBATIM_E2E_FIXTURE names a JSON file {"response", "prompt"?, "index"?, "expect_span_texts": [...],
 * "group"?, "group_response"?} (a served group and a text with spans in several of its stages)
 * written by the test harness. Without it, the first example served by
 * /api/v1/examples is used and only "at least one span" is expected.
 */
export async function loadFixture(base) {
  const file = process.env.VERBATIM_E2E_FIXTURE;
  if (file) {
    const fx = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (typeof fx.response !== 'string' || !fx.response.trim()) throw new Error(`${file}: "response" must be a non-empty string`);
    return {
      response: fx.response,
      prompt: typeof fx.prompt === 'string' ? fx.prompt : '',
      index: typeof fx.index === 'string' ? fx.index : '',
      expectSpanTexts: Array.isArray(fx.expect_span_texts) ? fx.expect_span_texts.map(String) : [],
      // A group of served indexes and a text with spans in several of its stages (issue 14).
      group: typeof fx.group === 'string' ? fx.group : '',
      groupResponse: typeof fx.group_response === 'string' ? fx.group_response : '',
      source: file,
    };
  }
  const res = await fetch(`${base}/api/v1/examples`);
  const data = await res.json().catch(() => ({}));
  const ex = (data.examples || []).find((e) => e && typeof e.response === 'string' && e.response.trim());
  if (!ex) throw new Error('No VERBATIM_E2E_FIXTURE given and the server serves no example to trace.');
  return { response: ex.response, prompt: ex.prompt || '', index: '', expectSpanTexts: [], source: '/api/v1/examples' };
}

/** Same encoding as web/js/state.js: base64url of UTF-8 JSON. */
export function traceHash({ response, prompt, index }, spanId) {
  const obj = { response };
  if (prompt) obj.prompt = prompt;
  if (index) obj.index = index;
  const b64 = Buffer.from(JSON.stringify(obj), 'utf8').toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  return `#t=${b64}${spanId === undefined || spanId === null ? '' : `&s=${spanId}`}`;
}

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml' };

/**
 * Serve the page's own files (everything but /api/) from `dir` instead of the
 * copy embedded in the server binary (launch() does this when VERBATIM_WEB_DIR
 * is set): lets the tests, the screenshots and the timing use the page in the
 * working tree before the binary is rebuilt. The API requests still go to the
 * real server (Playwright passes them through, which costs a browser→node
 * round trip per request).
 */
export async function serveWebDir(target, dir) {
  const root = path.resolve(dir);
  await target.route((u) => !u.pathname.startsWith('/api/'), (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname).replace(/^\/+/, '') || 'index.html';
    const file = path.resolve(root, rel);
    if (!file.startsWith(root + path.sep) || !fs.existsSync(file) || rel.startsWith('tests/')) {
      return route.fulfill({ status: 404, contentType: 'text/plain', body: 'not found' });
    }
    return route.fulfill({ status: 200, contentType: TYPES[path.extname(file)] || 'application/octet-stream', headers: { 'Cache-Control': 'no-cache' }, body: fs.readFileSync(file) });
  });
}

/** Value of `--name VALUE` on the command line, or dflt. */
export function cliArg(name, dflt = '') {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : dflt;
}
