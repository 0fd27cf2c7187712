// Browser end-to-end tests of the verbatim web page with canned API answers (node:test +
// playwright-core): the page is served by the real server, but its API requests are answered
// with fixed JSON (page.route), to check the page's own logic whatever the index holds.
//
//   VERBATIM_URL=http://127.0.0.1:8080 node --test e2e-canned.test.mjs
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { baseUrl, traceHash } from './browser.mjs';
import { setUpBrowser, closePage, fillAndTrace, waitTraceDone, docCards } from './page.mjs';

const BASE = baseUrl();

const currentBrowser = setUpBrowser();

// =====================================================================
// Fixed API answers: checks grouping, merging and the example buttons
// independently of what the served index contains.
describe('with canned API answers', () => {
  const RESPONSE = 'The cat sat on the mat. A dog ran far away from here.';
  const spanA = { id: 0, text: 'The cat sat on', utf16_start: 0, utf16_end: 14, count: 120, relevance: 'medium', document_ids: ['d1', 'd2'] };
  const spanB = { id: 1, text: 'sat on the mat.', utf16_start: 8, utf16_end: 23, count: 5, relevance: 'high', document_ids: ['d1'] };
  const spanC = { id: 2, text: 'ran far away', utf16_start: 30, utf16_end: 42, count: 9000, relevance: 'low', document_ids: ['d3'] };
  const withTokens = (s, i) => ({ ...s, byte_start: s.utf16_start, byte_end: s.utf16_end, token_start: i * 3, token_end: i * 3 + 3 });
  const TRACE = {
    index: 'alpha',
    tokens: 14,
    spans: [spanA, spanB, spanC].map(withTokens),
    // display_spans deliberately omitted: the page must merge A and B itself.
    documents: [
      { id: 'd1', source: 'web', metadata: { title: 'Doc <one>', url: 'https://example.org/one', license: 'CC0' }, bm25: 9, relevance: 'high', span_ids: [0],
        snippets: [{ span_id: 0, before: 'x ', match: 'The cat sat on', after: ' y' }] },
      { id: 'd2', source: 'books', metadata: {}, bm25: 5, relevance: 'medium', span_ids: [0],
        snippets: [{ span_id: 0, before: '', match: 'The cat sat on', after: '' }] },
      // d1 again for another span: must be grouped into the first card.
      { id: 'd1', source: 'web', metadata: { title: 'Doc <one>' }, bm25: 7, relevance: 'high', span_ids: [1],
        snippets: [{ span_id: 1, before: 'the cat ', match: 'sat on the mat.', after: '' }] },
      { id: 'd3', source: null, metadata: { url: 'javascript:alert(1)' }, bm25: 1, relevance: 'low', span_ids: [2], snippets: [] },
    ],
    timing_ms: { total: 3.5 },
  };
  const INDEXES = [
    { name: 'alpha', tokenizer: 'gpt2', token_width: 2, shards: 2, tokens: 1000, documents: 10, built_at: 1735689600 },
    { name: 'beta', tokenizer: 'llama', token_width: 4, shards: 1, tokens: 2000, documents: 20, built_at: 1735776000 },
  ];
  const EXAMPLES = [{ title: 'Cats', prompt: 'Tell me about cats', response: RESPONSE }];

  async function cannedPage(hash = '', { examples = EXAMPLES, indexes = INDEXES, trace = TRACE, unavailable = [] } = {}) {
    const page = await currentBrowser().context.newPage();
    page.errors = [];
    page.on('pageerror', (err) => page.errors.push(String(err)));
    page.traceBodies = [];
    page.searchBodies = [];
    await page.route('**/api/v1/**', async (route) => {
      const url = new URL(route.request().url());
      const json = (status, body) => route.fulfill({ status, contentType: 'application/json', body: JSON.stringify(body) });
      if (url.pathname.endsWith('/api/v1/indexes')) return json(200, { indexes, groups: [], unavailable });
      if (url.pathname.endsWith('/api/v1/examples')) return json(200, { examples });
      if (url.pathname.endsWith('/api/v1/search')) {
        const body = route.request().postDataJSON();
        page.searchBodies.push(body);
        return json(200, { hits: [{ id: `hit-in-${body.index || 'default'}`, source: null, metadata: {}, score: 1, snippet: body.query }] });
      }
      if (url.pathname.endsWith('/api/v1/trace')) {
        page.traceBodies.push(route.request().postDataJSON());
        return json(200, trace);
      }
      if (url.pathname.endsWith('/api/v1/documents') && url.searchParams.get('id') === 'd2') {
        return json(404, { error: { code: 'not_found', message: 'No document with id d2.' } });
      }
      if (url.pathname.endsWith('/api/v1/documents')) {
        return json(200, { id: 'd1', source: 'web', metadata: { title: 'Doc <one>' }, text: `${'filler text. '.repeat(400)}The cat sat on the mat. The end.`, truncated: true });
      }
      return json(404, { error: { code: 'not_found', message: 'nope' } });
    });
    await page.goto(`${BASE}/${hash}`);
    await page.waitForFunction(() => document.documentElement.classList.contains('js-ready'));
    return page;
  }

  test('a document with more than three matches shows three and builds the rest on "show more"', async () => {
    const text = 'one two three four five six seven eight';
    const words = ['one two', 'three four', 'five six', 'seven eight'];
    const spans = words.map((w, i) => {
      const at = text.indexOf(w);
      return withTokens({ id: i, text: w, utf16_start: at, utf16_end: at + w.length, count: 2, relevance: 'high', document_ids: ['d9'] }, i);
    });
    const trace = {
      index: 'alpha', tokens: 8, spans, timing_ms: { total: 1 },
      documents: [{ id: 'd9', source: 'web', metadata: {}, bm25: 3, relevance: 'high', span_ids: [0, 1, 2, 3],
        snippets: words.map((w, i) => ({ span_id: i, before: 'x ', match: w, after: ' y' })) }],
    };
    const page = await cannedPage('', { trace });
    await page.fill('#response', text);
    await page.click('#trace-btn');
    await waitTraceDone(page);
    const card = page.locator('#doc-list .doc-card[data-doc-id="d9"]');
    const shown = () => card.locator('.snippet:visible mark').allTextContents();
    assert.deepEqual(await shown(), words.slice(0, 3));
    assert.equal(await card.locator('.snippet').count(), 3, 'the fourth match is not built yet');
    const more = card.locator('.more-btn');
    assert.equal((await more.textContent()).trim(), 'Show 1 more match');
    await more.click();
    assert.deepEqual(await shown(), words);
    assert.equal(await more.getAttribute('aria-expanded'), 'true');
    await more.click();
    assert.deepEqual(await shown(), words.slice(0, 3));
    assert.equal(await card.locator('.snippet').count(), 4, 'built once, then hidden');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('a span whose documents are taken down or dropped for personal data says so', async () => {
    const text = 'alpha beta gamma delta';
    const mk = (id, w, extra) => {
      const at = text.indexOf(w);
      return withTokens({ id, text: w, utf16_start: at, utf16_end: at + w.length, count: 3, relevance: 'low', document_ids: [], ...extra }, id);
    };
    const trace = {
      index: 'alpha', tokens: 4, timing_ms: { total: 1 }, pii: 'drop', pii_dropped_documents: 1,
      spans: [mk(0, 'alpha beta', { documents_withheld: 'taken_down' }), mk(1, 'gamma delta', { documents_withheld: 'personal_data' })],
      documents: [],
    };
    const page = await cannedPage('', { trace });
    await page.fill('#response', text);
    await page.click('#trace-btn');
    await waitTraceDone(page);
    const empty = async () => [await page.textContent('#docs-empty .empty-title'), await page.textContent('#docs-empty p:last-child')];
    // Nothing selected: every span's documents are withheld, for one reason or the other.
    const [title, why] = await empty();
    assert.equal(title, 'The documents of these spans are withheld');
    assert.match(why, /taken down, or its documents hold personal data/);
    await page.locator('#output .hl').nth(0).click();
    assert.deepEqual(await empty(), ['This span’s documents are withheld', 'The text occurs in the training data, but every document holding it was taken down.']);
    await page.locator('#output .hl').nth(1).click();
    assert.match((await empty())[1], /hold personal data and were left out/);
    await page.locator('#output .hl').nth(0).focus();
    await page.waitForSelector('#span-tooltip:not([hidden])');
    assert.match(await page.textContent('#span-tooltip'), /No document shown: every document holding it was taken down/);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('a search link runs against the index it names, before the index list has loaded', async () => {
    const q = Buffer.from(JSON.stringify({ query: 'zebra', index: 'beta' })).toString('base64url');
    const page = await cannedPage(`#v=search&q=${q}`);
    await page.waitForSelector('#search-list .search-hit');
    assert.deepEqual(page.searchBodies, [{ query: 'zebra', limit: 20, index: 'beta' }]);
    assert.equal(await page.getAttribute('#search-list .search-hit', 'data-doc-id'), 'hit-in-beta');
    assert.equal(await page.inputValue('#search-query'), 'zebra');
    // Another search, then text typed but not searched, then Back: the first search's
    // results come back, searched again (they were left as the second's).
    await page.fill('#search-query', 'fruit');
    await page.click('#search-btn');
    await page.waitForFunction(() => document.querySelector('#search-list .search-hit')?.textContent.includes('fruit'));
    await page.fill('#search-query', 'zebra');
    await page.goBack();
    await page.waitForFunction(() => document.querySelector('#search-list .search-hit')?.textContent.includes('zebra'));
    assert.equal(page.searchBodies.at(-1).query, 'zebra');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('example buttons fill the fields and trace; overlapping spans merge; documents group', async () => {
    const page = await cannedPage();
    await page.waitForSelector('#examples:not([hidden]) .chip-btn');
    // Two indexes: the picker is shown and its choice is sent.
    await page.waitForSelector('#trace-index-field:not([hidden])');
    await page.selectOption('#trace-index', 'beta');
    await page.click('#examples .chip-btn >> text=Cats');
    await waitTraceDone(page);
    assert.equal(await page.inputValue('#response'), RESPONSE);
    assert.equal(await page.inputValue('#prompt'), 'Tell me about cats');
    assert.deepEqual(page.traceBodies.at(-1), { response: RESPONSE, prompt: 'Tell me about cats', index: 'beta' });

    const hls = await page.$$eval('#output .hl', (els) => els.map((e) => [e.textContent, e.dataset.relevance, e.dataset.spanIds]));
    assert.deepEqual(hls, [['The cat sat on the mat.', 'high', '0,1'], ['ran far away', 'low', '2']]);
    assert.equal(await page.textContent('#output'), RESPONSE);

    const cards = await docCards(page);
    assert.deepEqual(cards.map((c) => c.id), ['d1', 'd2', 'd3']);
    assert.equal(cards[0].spanIds, '0,1');
    assert.equal(cards[0].title, 'Doc <one>', 'metadata is shown as text, not markup');
    assert.deepEqual(cards[0].marks, ['The cat sat on', 'sat on the mat.']);
    assert.equal(await page.locator('#doc-list .doc-card[data-doc-id="d3"] a').count(), 0, 'unsafe URLs are not linked');
    assert.equal(await page.getAttribute('#doc-list .doc-card[data-doc-id="d1"] .doc-title a', 'href'), 'https://example.org/one');
    assert.match(await page.textContent('#doc-list .doc-card[data-doc-id="d1"]'), /CC0/);

    // Merged span -> documents of both spans; the low span -> only d3.
    await page.locator('#output .hl').nth(0).click();
    assert.deepEqual((await docCards(page)).map((c) => c.id), ['d1', 'd2']);
    assert.match(await page.textContent('#docs-count'), /2 of 3/);
    await page.locator('#output .hl').nth(1).click();
    assert.deepEqual((await docCards(page)).map((c) => c.id), ['d3']);
    await page.locator('#output .hl').nth(1).click();
    assert.equal((await docCards(page)).length, 3);

    // Tooltip of the merged span lists both spans.
    await page.locator('#output .hl').nth(0).focus();
    await page.waitForSelector('#span-tooltip:not([hidden])');
    assert.match(await page.textContent('#span-tooltip'), /2 overlapping spans/);

    // Document view: the span texts are marked, the first one is in view, truncation noted.
    await page.locator('#doc-list .doc-card[data-doc-id="d1"] .view-btn').click();
    await page.waitForSelector('#doc-dialog[open] #doc-dialog-body[aria-busy="false"]');
    assert.deepEqual(await page.$$eval('#doc-dialog-body mark', (m) => m.map((x) => x.textContent)), ['The cat sat on the mat.']);
    assert.match(await page.textContent('#doc-dialog-body'), /cut short/);
    const inView = await page.evaluate(() => {
      const b = document.getElementById('doc-dialog-body').getBoundingClientRect();
      const m = document.querySelector('#doc-dialog-body mark').getBoundingClientRect();
      return m.top >= b.top && m.bottom <= b.bottom;
    });
    assert.ok(inView, 'scrolled to the first match');
    await page.keyboard.press('Escape');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('browser history restores earlier traces', async () => {
    const page = await cannedPage();
    await page.fill('#response', 'first text here');
    await page.click('#trace-btn');
    await waitTraceDone(page);
    await page.fill('#response', RESPONSE);
    await page.click('#trace-btn');
    await waitTraceDone(page);
    await page.goBack();
    await page.waitForFunction(() => document.getElementById('response').value === 'first text here');
    await waitTraceDone(page);
    assert.equal(page.traceBodies.at(-1).response, 'first text here');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('an index the server cannot answer from is listed with its reason, and not offered', async () => {
    const reason = 'index gamma was rebuilt on disk with another tokenizer; restart the server';
    const page = await cannedPage('', { indexes: INDEXES.slice(0, 1), unavailable: [{ name: 'gamma', error: reason }] });
    await page.waitForFunction(() => document.getElementById('trace-index').options.length === 1);
    await page.click('#tab-indexes');
    const card = page.locator('#index-list .unavailable-card');
    await card.waitFor();
    assert.equal(await card.getAttribute('aria-label'), 'gamma, unavailable');
    assert.equal((await card.locator('.unavailable-reason').textContent()).trim(), reason);
    assert.equal(await page.locator('#index-list .index-card:not(.unavailable-card)').count(), 1);
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('one index and no examples: the picker and the examples are hidden', async () => {
    const page = await cannedPage('', { examples: [], indexes: INDEXES.slice(0, 1) });
    await page.waitForFunction(() => document.getElementById('trace-index').options.length === 1);
    assert.equal(await page.isVisible('#trace-index'), false);
    assert.equal(await page.isVisible('#examples'), false);
    await fillAndTrace(page, { response: RESPONSE });
    await waitTraceDone(page);
    assert.deepEqual(page.traceBodies.at(-1), { response: RESPONSE }, 'no index sent when only one is served');
    assert.deepEqual(page.errors, []);
    await page.close();
  });

  test('a shared URL with odd advanced options still restores and traces', async () => {
    // Any JSON may sit in a URL: a list holding non-strings, an object where a number goes.
    const options = { delimiters: ['.', 1, { toString: 1 }], maximum_frequency: { toString: 1 } };
    const t = Buffer.from(JSON.stringify({ response: RESPONSE, options }), 'utf8').toString('base64url');
    const page = await cannedPage(`#t=${t}`);
    await waitTraceDone(page);
    assert.deepEqual(page.traceBodies.at(-1), { ...options, response: RESPONSE }, 'sent as given (the server judges them)');
    assert.equal(await page.inputValue('#opt-delimiters'), '.,1,{"toString":1}');
    assert.equal(await page.textContent('#output'), RESPONSE);
    await closePage(page);
  });

  test('in a group, two documents with one id keep their own spans', async () => {
    // Ids are unique only within an index: 'd1' of the first stage holds span 0, 'd1' of the
    // second holds span 2. The spans name their documents by id alone.
    const stages = [{ index: 'alpha', stage: 'pre-training' }, { index: 'beta', stage: 'post-training' }];
    const trace = {
      ...TRACE,
      index: 'both',
      stages,
      spans: [{ ...spanA, document_ids: ['d1'] }, { ...spanC, document_ids: ['d1'] }].map(withTokens),
      documents: [
        { id: 'd1', index: 'alpha', stage: 'pre-training', metadata: {}, relevance: 'high', span_ids: [0],
          snippets: [{ span_id: 0, before: 'x ', match: spanA.text, after: ' y' }] },
        { id: 'd1', index: 'beta', stage: 'post-training', metadata: {}, relevance: 'low', span_ids: [2],
          snippets: [{ span_id: 2, before: 'x ', match: spanC.text, after: ' y' }] },
      ],
    };
    const page = await cannedPage(traceHash({ response: RESPONSE }), { trace });
    await waitTraceDone(page);
    const cards = () => page.$$eval('#doc-list .doc-card', (els) => els.map((e) => [e.dataset.stage, e.dataset.spanIds,
      [...e.querySelectorAll('.snippet mark')].map((m) => m.textContent), e.classList.contains('is-located')]));
    assert.deepEqual(await cards(), [
      ['pre-training', '0', [spanA.text], false],
      ['post-training', '2', [spanC.text], false],
    ]);
    await page.locator('#output .hl').nth(0).click();
    assert.deepEqual((await cards()).map((c) => c[0]), ['pre-training'], 'only the document holding the span');
    await page.locator('#output .hl').nth(0).click();
    await page.locator('#doc-list .doc-card').nth(1).locator('.locate-btn').click();
    assert.deepEqual((await cards()).map((c) => c[3]), [false, true], 'only the clicked card is located');
    assert.deepEqual(await page.$$eval('#output .hl.is-located', (els) => els.map((e) => e.textContent)), [spanC.text]);
    await closePage(page);
  });

  test('advanced number fields are sent as typed, not cut to their leading digits', async () => {
    const page = await cannedPage();
    await page.click('#advanced summary');
    await page.fill('#response', RESPONSE);
    await page.fill('#opt-maximum_frequency', '1e6'); // a valid number field value: 1,000,000
    await page.fill('#opt-minimum_span_length', '2.5'); // not whole: the server refuses it in words
    await page.fill('#opt-maximum_span_density', '.5');
    await page.click('#trace-btn');
    await waitTraceDone(page);
    assert.deepEqual(page.traceBodies.at(-1), {
      maximum_frequency: 1000000, minimum_span_length: 2.5, maximum_span_density: 0.5, response: RESPONSE, index: 'alpha',
    });
    await closePage(page);
  });

  test('shortened context and quotes never cut an emoji in half', async () => {
    const emoji = '😀'.repeat(80);
    const response = `${emoji} and more`;
    const span = { id: 0, text: emoji, utf16_start: 0, utf16_end: emoji.length, count: 2, relevance: 'high', document_ids: ['e1'] };
    const trace = {
      index: 'alpha', tokens: 90, spans: [withTokens(span, 0)], timing_ms: { total: 1 },
      // The card keeps ~110 UTF-16 units of each side: 161 and 161 here, cut inside a pair
      // unless the cut keeps whole characters.
      documents: [{ id: 'e1', metadata: { title: `T${emoji}` }, relevance: 'high', span_ids: [0],
        snippets: [{ span_id: 0, before: `${emoji}z`, match: emoji, after: `z${emoji}` }] }],
    };
    const page = await cannedPage('', { trace });
    await page.fill('#response', response);
    await page.click('#trace-btn');
    await waitTraceDone(page);
    await page.locator('#output .hl').first().click(); // the filter quote: the span, shortened
    await page.locator('#doc-list .locate-btn').first().click(); // the banner: the title, shortened
    const texts = await page.$$eval('#doc-list .snippet .ctx, #docs-filter-text q, #locate-banner q',
      (els) => els.map((e) => [e.textContent, e.textContent.isWellFormed()]));
    assert.equal(texts.length, 4, JSON.stringify(texts));
    for (const [text, whole] of texts) assert.ok(whole, `a lone surrogate in ${JSON.stringify(text)}`);
    await closePage(page);
  });

  test('the document view marks the match where the output differs by normalization', async () => {
    // The tokenizer normalizes (NFC): the output's decomposed "crème brûlée" matched the
    // document's composed one. The snippet's match is the document's own text.
    const response = 'We ate cre\u0300me bru\u0302le\u0301e today.';
    const text = 'cre\u0300me bru\u0302le\u0301e';
    const at = response.indexOf(text);
    const span = { id: 0, text, utf16_start: at, utf16_end: at + text.length, count: 1, relevance: 'high', document_ids: ['n1'] };
    const trace = {
      index: 'alpha', tokens: 9, spans: [withTokens(span, 0)], timing_ms: { total: 1 },
      documents: [{ id: 'n1', metadata: {}, relevance: 'high', span_ids: [0],
        snippets: [{ span_id: 0, before: 'Dessert: ', match: 'crème brûlée', after: ', then coffee.' }] }],
    };
    const page = await cannedPage('', { trace });
    await page.route('**/api/v1/documents?**', (route) => route.fulfill({
      status: 200, contentType: 'application/json',
      body: JSON.stringify({ id: 'n1', metadata: {}, text: 'Dessert: crème brûlée, then coffee.', truncated: false }),
    }));
    await page.fill('#response', response);
    await page.click('#trace-btn');
    await waitTraceDone(page);
    assert.equal(await page.textContent('#output .hl'), text);
    await page.locator('#doc-list .doc-card[data-doc-id="n1"] .view-btn').click();
    await page.waitForSelector('#doc-dialog[open] #doc-dialog-body[aria-busy="false"]');
    assert.deepEqual(await page.$$eval('#doc-dialog-body mark', (m) => m.map((x) => x.textContent)), ['crème brûlée']);
    await page.keyboard.press('Escape');
    await closePage(page);
  });

  test('a document that cannot be loaded shows an error in the dialog', async () => {
    const page = await cannedPage(traceHash({ response: RESPONSE }));
    await waitTraceDone(page);
    const [req] = await Promise.all([
      page.waitForRequest((r) => new URL(r.url()).pathname.endsWith('/api/v1/documents')),
      page.locator('#doc-list .doc-card[data-doc-id="d2"] .view-btn').click(),
    ]);
    assert.equal(new URL(req.url()).searchParams.get('index'), 'alpha', 'the traced index is passed on');
    await page.waitForSelector('#doc-dialog-error:not(:empty)');
    assert.match(await page.textContent('#doc-dialog-error'), /Could not load the document[\s\S]*No document with id d2/);
    await page.click('#doc-dialog-close');
    assert.deepEqual(page.errors, []);
    await page.close();
  });
});
