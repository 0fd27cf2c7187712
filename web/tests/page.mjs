// Page helpers shared by the browser test files: one browser per file, opened in its
// `before` hook (`useBrowser`), and fresh pages on it that fail the test on uncaught errors.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { launch, baseUrl } from './browser.mjs';

const BASE = baseUrl();
let browser = null;

/**
 * Opens the test file's browser before its tests and closes it after them; `openPage` opens
 * pages in it. Returns a getter of the browser (from `launch`).
 */
export function setUpBrowser() {
  before(async () => {
    browser = await launch({ viewport: { width: 1280, height: 900 } });
  });
  after(async () => {
    await browser?.close();
  });
  return () => browser;
}

/** A fresh page that records uncaught page errors. */
export async function openPage(hash = '') {
  const page = await browser.context.newPage();
  page.errors = [];
  page.on('pageerror', (err) => page.errors.push(String(err)));
  await page.goto(`${BASE}/${hash}`);
  await page.waitForFunction(() => document.documentElement.classList.contains('js-ready'));
  return page;
}

/** Closes `page`, failing when it threw uncaught errors. */
export async function closePage(page) {
  const errors = page.errors;
  await page.close();
  assert.deepEqual(errors, [], 'the page threw uncaught errors');
}

/** Fills the trace form and presses Trace. */
export async function fillAndTrace(page, { response, prompt = '', index = '' }) {
  await page.fill('#prompt', prompt);
  await page.fill('#response', response);
  if (index && (await page.isVisible('#trace-index'))) await page.selectOption('#trace-index', index);
  await page.click('#trace-btn');
}

/** Waits until the trace has been answered and shown. */
export async function waitTraceDone(page) {
  await page.waitForSelector('#result:not([hidden])');
  await page.waitForSelector('#trace-btn:not([disabled])');
  await page.waitForFunction(() => document.getElementById('result').getAttribute('aria-busy') === 'false');
}

/** The span ids of a `data-span-ids` attribute. */
export function idsOf(attr) {
  return String(attr || '').split(',').filter(Boolean).map(Number);
}

/** The document cards shown, as plain objects. */
export async function docCards(page) {
  return page.$$eval('#doc-list .doc-card', (cards) => cards.map((c) => ({
    id: c.dataset.docId,
    spanIds: c.dataset.spanIds,
    badge: c.querySelector('.badge')?.textContent || '',
    title: c.querySelector('.doc-title')?.textContent || '',
    marks: [...c.querySelectorAll('.snippet mark')].map((m) => m.textContent),
  })));
}
