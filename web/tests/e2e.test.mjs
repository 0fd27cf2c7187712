// Browser end-to-end tests of the verbatim web page (node:test + playwright-core).
//
//   VERBATIM_URL=http://127.0.0.1:8080 \
//   VERBATIM_E2E_FIXTURE=/path/fixture.json \
//   node --test --test-concurrency=1 e2e.test.mjs
//
// The fixture is {"response": str, "prompt"?: str, "index"?: str, "expect_span_texts": [str]}:
// a text with spans known to occur verbatim in the served index. These tests run
// against the real server; e2e-canned.test.mjs replaces the API answers with
// fixed JSON (page.route) to check the page's own logic.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, loadFixture, traceHash } from './browser.mjs';
import { setUpBrowser, openPage, closePage, fillAndTrace, waitTraceDone, idsOf, docCards } from './page.mjs';

const BASE = baseUrl();
const FIXTURE = await loadFixture(BASE);

const currentBrowser = setUpBrowser();

// =====================================================================
describe('against the running server', () => {
  test('trace shows busy state, highlights the expected spans, and lists documents', async () => {
    const page = await openPage();
    // Hold the trace request briefly so the busy state can be observed.
    let release;
    const held = new Promise((r) => { release = r; });
    await page.route('**/api/v1/trace', async (route) => {
      await held;
      await route.continue();
    });
    await fillAndTrace(page, FIXTURE);
    await page.waitForSelector('#trace-btn.is-busy');
    assert.equal(await page.isDisabled('#trace-btn'), true, 'Trace button disabled while tracing');
    assert.equal(await page.getAttribute('#docs-panel', 'aria-busy'), 'true');
    assert.match(await page.textContent('#trace-btn'), /Tracing/);
    release();
    await waitTraceDone(page);
    await page.unroute('**/api/v1/trace');

    assert.equal(await page.textContent('#trace-error'), '', 'no error shown');
    const highlights = await page.$$eval('#output .hl', (els) => els.map((e) => ({
      text: e.textContent,
      relevance: e.dataset.relevance,
      cls: e.className,
      role: e.getAttribute('role'),
      tabindex: e.getAttribute('tabindex'),
    })));
    assert.ok(highlights.length >= 1, 'at least one highlighted span');
    for (const h of highlights) {
      assert.ok(['high', 'medium', 'low'].includes(h.relevance), `relevance ${h.relevance}`);
      assert.ok(h.cls.includes(`rel-${h.relevance}`));
      assert.equal(h.role, 'button');
      assert.equal(h.tabindex, '0');
    }
    for (const expected of FIXTURE.expectSpanTexts) {
      const want = expected.trim();
      assert.ok(
        highlights.some((h) => h.text.includes(want)),
        `expected span ${JSON.stringify(want)} to be highlighted; highlights: ${JSON.stringify(highlights.map((h) => h.text))}`,
      );
    }
    // Offsets are applied exactly: the rendered output is the traced text, unchanged.
    assert.equal(await page.textContent('#output'), FIXTURE.response);

    // Legend and the "about" note.
    assert.match(await page.textContent('.legend'), /High relevance[\s\S]*Medium[\s\S]*Low/);
    assert.match(await page.textContent('.about-note'), /verbatim in the training data/);

    // Documents: one card per document, with relevance, title and a bold match.
    const cards = await docCards(page);
    assert.ok(cards.length >= 1, 'at least one document card');
    assert.equal(new Set(cards.map((c) => c.id)).size, cards.length, 'documents are grouped (no duplicate cards)');
    for (const c of cards) {
      assert.match(c.badge, /^(High|Medium|Low) relevance$/);
      assert.ok(c.title.trim().length > 0);
      assert.ok(c.marks.length >= 1 && c.marks.every((m) => m.length > 0), 'snippet has a marked match');
    }
    assert.equal(await page.textContent('#docs-count'), String(cards.length));

    // Hover shows count and relevance.
    await page.hover('#output .hl >> nth=0');
    await page.waitForSelector('#span-tooltip:not([hidden])');
    assert.match(await page.textContent('#span-tooltip'), /(High|Medium|Low) relevance/);
    assert.match(await page.textContent('#span-tooltip'), /(Found [\d,]+ times?|overlapping spans)/);
    // A late scroll event (the page's reveal scroll, a slow machine) must not hide the
    // tooltip of the span under the pointer: it follows its span. Scroll by 2 px (the
    // pointer stays on the span's middle) and wait two frames for the scroll event.
    const afterScroll = await page.evaluate(() => new Promise((resolve) => {
      window.scrollBy(0, window.scrollY >= 2 ? -2 : 2);
      requestAnimationFrame(() => requestAnimationFrame(() => {
        const tip = document.getElementById('span-tooltip');
        const mark = document.querySelector('#output .hl[aria-describedby="span-tooltip"]');
        const m = mark?.getClientRects()[0];
        const t = tip.getBoundingClientRect();
        resolve({ hidden: tip.hidden, anchored: !!mark, gap: m ? Math.min(Math.abs(m.top - t.bottom), Math.abs(t.top - m.bottom)) : null });
      }));
    }));
    assert.equal(afterScroll.hidden, false, 'tooltip still shown after a scroll');
    assert.ok(afterScroll.anchored, 'tooltip still describes the hovered span');
    assert.ok(afterScroll.gap !== null && afterScroll.gap <= 40, `tooltip next to its span after the scroll (gap ${afterScroll.gap}px)`);

    // State is in the URL.
    assert.match(new URL(page.url()).hash, /^#t=[A-Za-z0-9_-]+/);
    await closePage(page);
  });

  test('clicking a span filters the documents; clicking again shows all', async () => {
    const page = await openPage(traceHash(FIXTURE));
    await waitTraceDone(page);
    const total = (await docCards(page)).length;
    const count = await page.locator('#output .hl').count();
    assert.ok(count >= 1);

    for (let i = 0; i < Math.min(count, 3); i++) {
      const hl = page.locator('#output .hl').nth(i);
      const spanIds = idsOf(await hl.getAttribute('data-span-ids'));
      await hl.click();
      assert.equal(await hl.getAttribute('aria-pressed'), 'true');
      await page.waitForSelector('#docs-filter:not([hidden])');
      const filtered = await docCards(page);
      assert.ok(filtered.length <= total);
      for (const c of filtered) {
        assert.ok(idsOf(c.spanIds).some((id) => spanIds.includes(id)), `card ${c.id} belongs to the selected span`);
      }
      assert.match(new URL(page.url()).hash, /&s=\d+/, 'selected span kept in the URL');
      await hl.click();
      assert.equal(await hl.getAttribute('aria-pressed'), 'false');
      await page.waitForSelector('#docs-filter', { state: 'hidden' });
      assert.equal((await docCards(page)).length, total, 'all documents shown again');
    }

    // "Show all" clears the filter too.
    await page.locator('#output .hl').first().click();
    await page.waitForSelector('#docs-filter:not([hidden])');
    await page.click('#show-all-btn');
    await page.waitForSelector('#docs-filter', { state: 'hidden' });
    assert.equal((await docCards(page)).length, total);

    // Keyboard: spans are focusable and activate with Enter and Space.
    const first = page.locator('#output .hl').first();
    await first.focus();
    await page.keyboard.press('Enter');
    assert.equal(await first.getAttribute('aria-pressed'), 'true');
    await page.waitForSelector('#docs-filter:not([hidden])');
    await page.keyboard.press('Space');
    assert.equal(await first.getAttribute('aria-pressed'), 'false');
    await closePage(page);
  });

  test('"Locate spans" outlines a document\'s spans in the output', async () => {
    const page = await openPage(traceHash(FIXTURE));
    await waitTraceDone(page);
    const card = page.locator('#doc-list .doc-card').first();
    const docSpanIds = idsOf(await card.getAttribute('data-span-ids'));
    await card.locator('.locate-btn').click();
    assert.equal(await card.locator('.locate-btn').getAttribute('aria-pressed'), 'true');
    await page.waitForSelector('#locate-banner:not([hidden])');
    const located = await page.$$eval('#output .hl.is-located', (els) => els.map((e) => e.dataset.spanIds));
    assert.ok(located.length >= 1, 'at least one span outlined');
    for (const ids of located) assert.ok(idsOf(ids).some((id) => docSpanIds.includes(id)));
    await card.locator('.locate-btn').click();
    assert.equal(await page.locator('#output .hl.is-located').count(), 0);
    await closePage(page);
  });

  test('"View document" opens the full text with the matched spans marked', async () => {
    const page = await openPage(traceHash(FIXTURE));
    await waitTraceDone(page);
    const card = page.locator('#doc-list .doc-card').first();
    const docId = await card.getAttribute('data-doc-id');
    const viewBtn = card.locator('.view-btn');
    const [docResponse] = await Promise.all([
      page.waitForResponse((r) => new URL(r.url()).pathname.endsWith('/api/v1/documents')),
      viewBtn.click(),
    ]);
    assert.equal(docResponse.status(), 200);
    assert.equal(new URL(docResponse.url()).searchParams.get('id'), docId, docResponse.url());
    await page.waitForSelector('#doc-dialog[open]');
    await page.waitForSelector('#doc-dialog-body[aria-busy="false"]');
    assert.equal(await page.textContent('#doc-dialog-error'), '');
    const text = await page.textContent('#doc-dialog-body');
    assert.ok(text.length > 0, 'document text shown');
    const marks = await page.$$eval('#doc-dialog-body mark.doc-mark', (els) => els.map((e) => e.textContent));
    assert.ok(marks.length >= 1, 'matched span marked in the document');
    // The page asks for the places of the spans' tokens, and marks them: each mark is the
    // text of tokens of the document's spans (the server's own ranges), not a search for
    // look-alike text.
    const asked = new URL(docResponse.url()).searchParams.get('marks');
    assert.ok(asked && /^\d+(\.\d+)*(,\d+(\.\d+)*)*$/.test(asked), `marks asked: ${asked}`);
    const served = await docResponse.json();
    const ranges = served.marks.map((m) => served.text.slice(m.utf16_start, m.utf16_end));
    assert.ok(ranges.length >= 1);
    for (const m of marks) assert.ok(ranges.some((r) => m.includes(r)), `mark ${JSON.stringify(m)} is one of the server's`);
    // The first match is scrolled into the visible part of the dialog body.
    const visible = await page.evaluate(() => {
      const body = document.getElementById('doc-dialog-body').getBoundingClientRect();
      const m = document.querySelector('#doc-dialog-body mark.doc-mark').getBoundingClientRect();
      return m.bottom > body.top && m.top < body.bottom;
    });
    assert.ok(visible, 'first match is in view');
    await page.keyboard.press('Escape');
    await page.waitForSelector('#doc-dialog', { state: 'hidden' });
    // The dialog's `close` event (which gives focus back) is queued as a task after it hides.
    await page.waitForFunction(() => document.activeElement?.classList.contains('view-btn'), null, { timeout: 5000 })
      .catch(() => assert.fail('focus returns to the "View document" button'));
    await closePage(page);
  });

  test('a URL with the trace state restores the text, the trace and the selected span', async () => {
    const page = await openPage();
    await fillAndTrace(page, FIXTURE);
    await waitTraceDone(page);
    const hl = page.locator('#output .hl').first();
    const hlText = await hl.textContent();
    await hl.click();
    await page.waitForSelector('#docs-filter:not([hidden])');
    const url = page.url();
    assert.match(url, /#t=[A-Za-z0-9_-]+&s=\d+/);
    await closePage(page);

    const restored = await currentBrowser().context.newPage();
    await restored.goto(url);
    await waitTraceDone(restored);
    assert.equal(await restored.inputValue('#response'), FIXTURE.response);
    assert.equal(await restored.inputValue('#prompt'), FIXTURE.prompt);
    const selected = restored.locator('#output .hl[aria-pressed="true"]');
    assert.equal(await selected.count(), 1);
    assert.equal(await selected.textContent(), hlText);
    assert.equal(await restored.isVisible('#docs-filter'), true);
    await restored.close();
  });

  test('an empty text shows a plain-words error and sends no request', async () => {
    const page = await openPage();
    let traced = 0;
    page.on('request', (r) => { if (r.url().includes('/api/v1/trace')) traced++; });
    await page.fill('#response', '   \n ');
    await page.click('#trace-btn');
    await page.waitForSelector('#trace-error:not(:empty)');
    assert.match(await page.textContent('[role="alert"]#trace-error'), /no text to trace/i);
    assert.equal(traced, 0);
    assert.equal(await page.evaluate(() => document.activeElement.id), 'response');
    // Ctrl+Enter takes the same path.
    await page.fill('#response', '');
    await page.focus('#response');
    await page.keyboard.press('Control+Enter');
    assert.match(await page.textContent('#trace-error'), /no text to trace/i);
    await closePage(page);
  });

  test('server errors are shown in plain words', async () => {
    const page = await openPage();
    await page.route('**/api/v1/trace', (route) => route.fulfill({
      status: 500,
      contentType: 'application/json',
      body: JSON.stringify({ error: { code: 'internal', message: 'The index shard could not be read.' } }),
    }));
    await fillAndTrace(page, FIXTURE);
    await page.waitForSelector('#trace-error:not(:empty)');
    const msg = await page.textContent('#trace-error');
    assert.match(msg, /The index shard could not be read\./);
    assert.match(msg, /server ran into a problem/i);
    assert.equal(await page.isDisabled('#trace-btn'), false, 'button usable again');
    assert.equal(await page.getAttribute('#result', 'aria-busy'), 'false');

    // A non-JSON error page.
    await page.unroute('**/api/v1/trace');
    await page.route('**/api/v1/trace', (route) => route.fulfill({ status: 502, contentType: 'text/html', body: '<h1>Bad gateway</h1>' }));
    await page.click('#trace-btn');
    await page.waitForFunction(() => /HTTP 502/.test(document.getElementById('trace-error').textContent));

    // The server cannot be reached at all.
    await page.unroute('**/api/v1/trace');
    await page.route('**/api/v1/trace', (route) => route.abort('connectionrefused'));
    await page.click('#trace-btn');
    await page.waitForFunction(() => /Could not reach/.test(document.getElementById('trace-error').textContent));

    // The real server's own 4xx answer for a blank text (bypassing the page's check).
    await page.unroute('**/api/v1/trace');
    const status = await page.evaluate(async () => {
      const r = await fetch('api/v1/trace', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ response: '' }) });
      const body = await r.json();
      return { status: r.status, hasError: typeof body.error?.message === 'string' && typeof body.error?.code === 'string' };
    });
    assert.ok(status.status >= 400 && status.status < 500, `blank text answered with HTTP ${status.status}`);
    assert.ok(status.hasError, 'error body has code and message');
    await closePage(page);
  });

  test('keyword search lists documents and opens them', async () => {
    const page = await openPage();
    const source = FIXTURE.expectSpanTexts[0] || FIXTURE.response;
    const query = source.split(/\s+/).filter((w) => /^[\p{L}\p{N}]{4,}$/u.test(w)).slice(0, 3).join(' ') || source.split(/\s+/)[0];
    await page.click('#tab-search');
    assert.equal(await page.isVisible('#view-search'), true);
    assert.equal(await page.isVisible('#view-trace'), false);
    await page.fill('#search-query', query);
    await page.press('#search-query', 'Enter');
    await page.waitForSelector('#search-btn:not([disabled])');
    await page.waitForFunction(() => document.getElementById('search-summary').textContent.length > 0
      || document.getElementById('search-error').textContent.length > 0);
    assert.equal(await page.textContent('#search-error'), '', 'no search error');
    const hits = await page.locator('#search-list .search-hit').count();
    assert.ok(hits >= 1, `search for ${JSON.stringify(query)} found documents`);
    await page.locator('#search-list .view-btn').first().click();
    await page.waitForSelector('#doc-dialog[open] #doc-dialog-body[aria-busy="false"]');
    assert.ok((await page.textContent('#doc-dialog-body')).length > 0);
    await page.click('#doc-dialog-close');
    await page.waitForSelector('#doc-dialog', { state: 'hidden' });
    // Wait for the dialog's queued `close` event to give focus back: run before `fill` below,
    // it would take focus from the search box halfway through clearing it (seen in CI).
    await page.waitForFunction(() => document.activeElement?.classList.contains('view-btn'));
    assert.match(new URL(page.url()).hash, /v=search/);

    // The search is kept in the URL: the link, opened again, runs it again.
    const link = new URL(page.url()).hash;
    assert.match(link, /q=/);
    const again = await openPage(link);
    await again.waitForFunction(() => document.getElementById('search-summary').textContent.length > 0);
    assert.equal(await again.isVisible('#view-search'), true);
    assert.equal(await again.inputValue('#search-query'), query);
    assert.equal(await again.locator('#search-list .search-hit').count(), hits);
    await closePage(again);

    // A parenthesis left open: searched as if closed, and the summary says so.
    await page.fill('#search-query', `(${query}`);
    await page.click('#search-btn');
    await page.waitForFunction(() => /not closed/.test(document.getElementById('search-summary').textContent));
    assert.ok(await page.locator('#search-list .search-hit').count() >= 1, 'the unclosed query still finds documents');
    // Back: the search before, searched again.
    await page.goBack();
    await page.waitForFunction((q) => document.getElementById('search-query').value === q
      && !/not closed/.test(document.getElementById('search-summary').textContent)
      && document.getElementById('search-summary').textContent.length > 0
      && !document.getElementById('search-btn').disabled, query);
    assert.equal(await page.locator('#search-list .search-hit').count(), hits);

    // Empty query: plain-words error. The box is emptied in one step (Playwright's fill('')
    // selects, then presses Delete as a second step, which the closing dialog's queued focus
    // move could split: the search then ran with the old query, seen twice in CI), and on a
    // timeout the message says what the page held.
    await page.evaluate(() => {
      const box = document.getElementById('search-query');
      box.focus();
      box.value = '';
      box.dispatchEvent(new Event('input', { bubbles: true }));
    });
    await page.click('#search-btn');
    const shown = await page.waitForSelector('#search-error:not(:empty)', { timeout: 10000 }).then(() => true, () => false);
    const held = await page.evaluate(() => ({
      query: document.getElementById('search-query').value,
      error: document.getElementById('search-error').textContent,
      summary: document.getElementById('search-summary').textContent,
      active: document.activeElement?.id || document.activeElement?.className,
    }));
    assert.ok(shown, `no error for an empty query; the page held ${JSON.stringify(held)}`);
    assert.match(held.error, /Type one or more words/);
    await closePage(page);
  });

  test('exact n-gram (AND / OR) search lists documents with each clause marked', async () => {
    const page = await openPage();
    const words = (FIXTURE.expectSpanTexts[0] || FIXTURE.response).split(/\s+/).filter((w) => /^[\p{L}]{3,}$/u.test(w));
    assert.ok(words.length >= 2, 'the fixture has two words to combine');
    const query = `${words[0]} OR zzzqqqxxv AND ${words[1]}`;
    await page.click('#tab-search');
    await page.selectOption('#search-mode', 'cnf');
    assert.match(await page.textContent('#search-label'), /AND/);
    await page.fill('#search-query', query);
    await page.press('#search-query', 'Enter');
    await page.waitForSelector('#search-btn:not([disabled])');
    await page.waitForFunction(() => document.getElementById('search-summary').textContent.length > 0
      || document.getElementById('search-error').textContent.length > 0);
    assert.equal(await page.textContent('#search-error'), '', 'no search error');
    const api = await page.evaluate(async (q) => (await (await fetch('api/v1/cnf', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ query: q, limit: 20 }) })).json()), query);
    const cards = await page.locator('#search-list .cnf-hit').count();
    assert.equal(cards, api.documents.length, 'one card per document of the answer');
    assert.ok(api.count >= 1 && cards >= 1, `${JSON.stringify(query)} matched`);
    assert.ok(await page.locator('#search-list .cnf-clause-0').count() >= 1, 'clause 1 marked');
    assert.ok(await page.locator('#search-list .cnf-clause-1').count() >= 1, 'clause 2 marked');
    await closePage(page);
  });

  test('index statistics view shows every served index', async () => {
    const page = await openPage();
    const served = await page.evaluate(async () => (await (await fetch('api/v1/indexes')).json()).indexes);
    assert.ok(served.length >= 1);
    await page.click('#tab-indexes');
    await page.waitForSelector('#index-list .index-card');
    const cards = await page.$$eval('#index-list .index-card', (els) => els.map((e) => e.textContent));
    assert.equal(cards.length, served.length);
    for (const [i, ix] of served.entries()) {
      assert.ok(cards[i].includes(ix.name));
      assert.ok(cards[i].includes(new Intl.NumberFormat('en-US').format(ix.tokens)), 'token count shown');
      assert.ok(cards[i].includes(new Intl.NumberFormat('en-US').format(ix.documents)), 'document count shown');
      assert.match(cards[i], /Tokens[\s\S]*Documents[\s\S]*Tokenizer[\s\S]*Shards/);
      // What tells which corpus a trace runs against: tokenizer family and hash, and the
      // documents and tokens of each source.
      assert.ok(ix.tokenizer_family && cards[i].includes(ix.tokenizer_family), `tokenizer family ${ix.tokenizer_family} shown`);
      assert.ok(cards[i].includes(ix.tokenizer_sha256.slice(0, 12)), 'tokenizer hash shown');
      for (const src of ix.source_stats) {
        assert.ok(cards[i].includes(src.name ?? '(no source)'), `source ${src.name} shown`);
        assert.ok(cards[i].includes(new Intl.NumberFormat('en-US').format(src.tokens)), `tokens of ${src.name} shown`);
      }
    }
    // Issue 16, item 7: built_at is Unix seconds; the page showed "Jan 21, 1970" reading it as
    // milliseconds. The date shown is the build's own date, in its year.
    const shown = await page.$$eval('#index-list .stat-built dd', (els) => els.map((e) => e.firstChild.textContent));
    for (const [i, ix] of served.entries()) {
      const want = new Date(ix.built_at * 1000).toLocaleDateString('en-US', { dateStyle: 'medium' });
      assert.equal(shown[i], want, 'the build date');
      assert.ok(shown[i].includes(String(new Date(ix.built_at * 1000).getFullYear())));
      assert.ok(!shown[i].includes('1970'), `a date in 1970: ${shown[i]}`);
    }
    // The index picker is shown only when several indexes are served.
    await page.click('#tab-trace');
    assert.equal(await page.isVisible('#trace-index'), served.length > 1);
    await closePage(page);
  });

  test('a group trace labels documents with their stage and filters them by stage (issue 14)', { skip: !FIXTURE.group && 'the fixture names no group' }, async () => {
    const page = await openPage();
    const catalog = await page.evaluate(async () => (await (await fetch('api/v1/indexes')).json()));
    const group = catalog.groups.find((g) => g.name === FIXTURE.group);
    assert.ok(group, `group ${FIXTURE.group} is served`);
    const labels = group.stages.map((st) => st.stage);
    await page.waitForFunction((g) => [...document.getElementById('trace-index').options].some((o) => o.value === g), FIXTURE.group);
    // The Indexes tab shows the group with its stages in order.
    await page.click('#tab-indexes');
    await page.waitForSelector('#index-list .group-card');
    const card = await page.$eval(`#index-list .group-card[aria-label="Group ${FIXTURE.group}"]`, (e) => e.textContent);
    let at = 0;
    for (const label of labels) {
      const i = card.indexOf(label, at);
      assert.ok(i >= at, `stage ${label} listed in order: ${card}`);
      at = i + label.length;
    }
    await page.click('#tab-trace');
    await fillAndTrace(page, { response: FIXTURE.groupResponse, index: FIXTURE.group });
    await waitTraceDone(page);
    assert.equal(await page.textContent('#trace-error'), '');
    // One chip per stage and "All", each with its number of documents.
    await page.waitForSelector('#stage-filter:not([hidden])');
    const chips = await page.$$eval('#stage-filter .stage-chip', (els) => els.map((e) => ({
      stage: e.dataset.stage, pressed: e.getAttribute('aria-pressed'), n: Number(e.querySelector('.count-badge').textContent.replace(/,/g, '')),
    })));
    assert.deepEqual(chips.map((c) => c.stage), ['', ...labels]);
    const all = (await docCards(page)).length;
    assert.equal(chips[0].n, all);
    assert.equal(chips.slice(1).reduce((a, c) => a + c.n, 0), all, 'per-stage counts add up');
    for (const c of chips.slice(1)) assert.ok(c.n > 0, `documents of ${c.stage} are cited`);
    // Every card names its stage, and the stage matches the index the server says holds it.
    const answer = await page.evaluate(async (body) => (await (await fetch('api/v1/trace', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
    })).json()), { response: FIXTURE.groupResponse, index: FIXTURE.group });
    const stageOf = new Map(answer.documents.map((d) => [d.id, d.stage]));
    const cardStages = await page.$$eval('#doc-list .doc-card', (els) => els.map((e) => [e.dataset.docId, e.dataset.stage, e.querySelector('.chip-stage')?.textContent]));
    for (const [id, stage, chip] of cardStages) {
      assert.equal(stage, stageOf.get(id), `stage of ${id}`);
      assert.equal(chip, stage, 'the card shows its stage');
    }
    // Filtering by one stage shows only its documents; clicking it again shows all.
    const second = labels[1];
    await page.click(`#stage-filter .stage-chip[data-stage="${second}"]`);
    const filtered = await page.$$eval('#doc-list .doc-card', (els) => els.map((e) => e.dataset.stage));
    assert.equal(filtered.length, chips[2].n);
    assert.ok(filtered.every((st) => st === second), `only ${second} documents`);
    assert.equal(await page.getAttribute(`#stage-filter .stage-chip[data-stage="${second}"]`, 'aria-pressed'), 'true');
    await page.click(`#stage-filter .stage-chip[data-stage="${second}"]`);
    assert.equal((await docCards(page)).length, all);
    // A document of a stage opens from its own index.
    await page.click(`#stage-filter .stage-chip[data-stage="${labels[0]}"]`);
    await page.locator('#doc-list .view-btn').first().click();
    await page.waitForSelector('#doc-dialog[open] #doc-dialog-body[aria-busy="false"]');
    assert.equal(await page.textContent('#doc-dialog-error'), '');
    assert.ok((await page.locator('#doc-dialog-body mark.doc-mark').count()) > 0, 'the matches are marked');
    await closePage(page);
  });

  test('advanced controls are sent, echoed and kept in the URL (issue 14)', async () => {
    const page = await openPage();
    await page.click('#advanced > summary');
    await page.fill('#opt-maximum_span_density', '0.5');
    await page.selectOption('#opt-span_ranking_method', 'length');
    await page.fill('#opt-maximum_documents_per_span', '2');
    let sent = null;
    page.on('request', (r) => { if (r.url().endsWith('/api/v1/trace')) sent = JSON.parse(r.postData()); });
    const answer = page.waitForResponse((r) => r.url().endsWith('/api/v1/trace'));
    await fillAndTrace(page, FIXTURE);
    const echoed = (await (await answer).json()).options;
    await waitTraceDone(page);
    assert.equal(sent.maximum_span_density, 0.5);
    assert.equal(sent.span_ranking_method, 'length');
    assert.equal(sent.maximum_documents_per_span, 2);
    assert.equal(echoed.maximum_span_density, 0.5);
    assert.equal(echoed.span_ranking_method, 'length');
    assert.equal(echoed.maximum_documents_per_span, 2);
    assert.equal(echoed.maximum_frequency, 1000000, 'defaults are echoed too');
    // A value outside the field's range is refused before sending, named by its label, and
    // the field is marked invalid.
    await page.fill('#opt-maximum_documents_per_span', '500');
    await fillAndTrace(page, FIXTURE);
    await page.waitForFunction(() => document.getElementById('trace-error').textContent.length > 0);
    assert.match(await page.textContent('#trace-error'), /“Documents per span” must be at most 100/);
    assert.equal(await page.getAttribute('#opt-maximum_documents_per_span', 'aria-invalid'), 'true');
    // One the server refuses (not whole) is named by the field's label, not its API name.
    await page.fill('#opt-maximum_documents_per_span', '2.5');
    await fillAndTrace(page, FIXTURE);
    await page.waitForFunction(() => /whole/.test(document.getElementById('trace-error').textContent));
    const refused = await page.textContent('#trace-error');
    assert.match(refused, /“Documents per span”/);
    assert.doesNotMatch(refused, /maximum_documents_per_span/);
    assert.equal(await page.getAttribute('#opt-maximum_documents_per_span', 'aria-invalid'), null);
    // The URL keeps the controls: a reload restores and re-runs the same trace.
    await page.fill('#opt-maximum_documents_per_span', '2');
    await fillAndTrace(page, FIXTURE);
    await waitTraceDone(page);
    const url = page.url();
    const again = await openPage(url.slice(url.indexOf('#')));
    await waitTraceDone(again);
    assert.equal(await again.inputValue('#opt-span_ranking_method'), 'length');
    assert.equal(await again.inputValue('#opt-maximum_documents_per_span'), '2');
    await closePage(again);
    await closePage(page);
  });

  test('theme toggle switches and persists; narrow screens stack the panel', async () => {
    const page = await openPage();
    const before = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    const after = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(before, after);
    await page.reload();
    assert.equal(await page.getAttribute('html', 'data-theme'), 'dark');
    await page.click('#theme-toggle');
    assert.equal(await page.getAttribute('html', 'data-theme'), 'light');

    await page.setViewportSize({ width: 390, height: 844 });
    await page.goto(`${BASE}/${traceHash(FIXTURE)}`);
    await waitTraceDone(page);
    const layout = await page.evaluate(() => {
      const main = document.querySelector('.trace-main').getBoundingClientRect();
      const panel = document.getElementById('docs-panel').getBoundingClientRect();
      return { panelTop: panel.top, mainBottom: main.bottom, scrollW: document.documentElement.scrollWidth, w: window.innerWidth };
    });
    assert.ok(layout.panelTop >= layout.mainBottom, 'documents panel is below the output');
    assert.ok(layout.scrollW <= layout.w, 'no horizontal scrolling');
    await closePage(page);
  });
});
