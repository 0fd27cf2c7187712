// Browser end-to-end tests of the trace view's finer points, against the running server
// (see e2e.test.mjs for how it is started): the document dialog under a selected span, the
// keyboard focus, the stale note, list fields, notes for what is not found, CNF counts.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, loadFixture, traceHash } from './browser.mjs';
import { setUpBrowser, openPage, closePage, fillAndTrace, waitTraceDone, idsOf } from './page.mjs';

const FIXTURE = await loadFixture(baseUrl());

setUpBrowser();

describe('the trace view against the running server', () => {
  test('"View document" under a selected span opens at that span\'s passage; Trace keeps the keyboard focus', async () => {
    const page = await openPage(traceHash(FIXTURE));
    await waitTraceDone(page);
    assert.equal(await page.getAttribute('#result-summary', 'aria-live'), 'polite', 'a finished trace is announced');
    const hl = page.locator('#output .hl').last();
    await hl.click();
    await page.waitForSelector('#docs-filter:not([hidden])');
    const filter = await page.textContent('#docs-filter-text');
    const ids = idsOf(await hl.getAttribute('data-span-ids'));
    if (ids.length > 1) assert.match(filter, /one of the \d+ overlapping spans/, filter);
    else assert.doesNotMatch(filter, /overlapping/, filter);
    await page.locator('#doc-list .doc-card').first().locator('.view-btn').click();
    await page.waitForSelector('#doc-dialog[open]');
    await page.waitForSelector('#doc-dialog-body[aria-busy="false"]');
    const current = await page.$eval('#doc-dialog-body mark.doc-mark.is-current', (m) => m.classList.contains('is-selected-span'));
    assert.ok(current, 'the dialog opens at a passage of the selected span');
    // The browser gives the focus back as the dialog hides, and the page's 'close' handler
    // gives it again in a later task: wait for that handler, or it takes the focus moved below.
    await page.evaluate(() => {
      window.dialogClosed = new Promise((resolve) => {
        document.getElementById('doc-dialog').addEventListener('close', () => setTimeout(resolve, 0), { once: true });
      });
    });
    await page.keyboard.press('Escape');
    await page.evaluate(() => window.dialogClosed);
    assert.ok(await page.evaluate(() => document.activeElement?.classList.contains('view-btn')), 'the focus returns to the View button');

    // Held, so that the button is disabled (and its focus lost) while the trace runs.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/api/v1/trace', async (route) => { await held; await route.continue(); });
    await page.focus('#trace-btn');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#trace-btn.is-busy');
    await page.waitForTimeout(100);
    release();
    await waitTraceDone(page);
    await page.unroute('**/api/v1/trace');
    await page.waitForFunction(() => document.activeElement?.id === 'trace-btn', null, { timeout: 5000 })
      .catch(() => assert.fail('the focus returns to the Trace button'));
    await closePage(page);
  });

  test('changed settings mark the result stale; a comma can be a delimiter', async () => {
    const page = await openPage(traceHash(FIXTURE));
    await waitTraceDone(page);
    assert.equal(await page.isVisible('#stale-note'), false, 'a restored trace is not stale');
    if (!(await page.getAttribute('#advanced', 'open'))) await page.click('#advanced > summary');
    await page.fill('#opt-delimiters', '\\,,.');
    await page.waitForSelector('#stale-note:not([hidden])');
    const [req] = await Promise.all([
      page.waitForRequest((r) => r.url().endsWith('/api/v1/trace')),
      page.click('#retrace-btn'),
    ]);
    assert.deepEqual(JSON.parse(req.postData()).delimiters, [',', '.']);
    await waitTraceDone(page);
    assert.equal(await page.isVisible('#stale-note'), false, 'traced again with the new settings');
    await closePage(page);
  });

  test('nothing found in text without spaces between words suggests partial words', async () => {
    const page = await openPage();
    await fillAndTrace(page, { response: '東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。' });
    await waitTraceDone(page);
    await page.waitForSelector('#no-match:not([hidden])');
    assert.match(await page.textContent('#no-match'), /without spaces between words.*partial words/);
    await closePage(page);
  });

  test('an exact n-gram search of a frequent word says the count is approximate', async () => {
    const page = await openPage();
    await page.click('#tab-search');
    await page.selectOption('#search-mode', 'cnf');
    await page.fill('#search-query', 'the');
    await page.press('#search-query', 'Enter');
    await page.waitForFunction(() => document.getElementById('search-summary').textContent.length > 0);
    const api = await page.evaluate(async () => (await (await fetch('api/v1/cnf', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: 'the', limit: 1 }) })).json()));
    const summary = await page.textContent('#search-summary');
    if (api.count > 50000) {
      assert.equal(api.approx, true, JSON.stringify(api.clauses));
      assert.match(summary, /^about .* matches/, summary);
    }
    assert.doesNotMatch(summary, /matchs/, summary);
    await closePage(page);
  });
});
