// Save PNG screenshots of a real trace, as committed in docs/screenshots/:
//
//   trace-light-wide.png  trace-dark-wide.png  trace-light-narrow.png  trace-dark-narrow.png
//   document-light-wide.png   (the "View document" dialog)
//   stages-light-wide.png stages-filtered-light-wide.png advanced-light-wide.png (issue 14:
//   a trace against a group of training stages, and the advanced controls; when the
//   fixture names a group)
//
//   VERBATIM_URL=http://127.0.0.1:8080 VERBATIM_E2E_FIXTURE=fixture.json node screenshots.mjs OUT_DIR [--all]
//
// The traced text comes from VERBATIM_E2E_FIXTURE (see browser.mjs; scripts/e2e
// writes the Pride and Prejudice example of corpora/demo/examples.json) or the
// server's first example. It is typed into the form and traced with the Trace
// button against the running server: nothing is canned. --all also saves the
// empty page, a selected span, the document dialog in every theme and size,
// and the index and search views.
//
// VERBATIM_WEB_DIR=DIR takes the page's files from DIR (e.g. ..) instead of the
// server binary, for a page changed since the binary was built (see browser.mjs).
//
// Wide is 1400x900 at 1x; narrow is a 390x844 phone viewport at 2x (crisp on
// high-density screens, still small files).
import fs from 'node:fs';
import path from 'node:path';
import { launch, baseUrl, loadFixture } from './browser.mjs';

const args = process.argv.slice(2);
const ALL = args.includes('--all');
const outDir = path.resolve(args.find((a) => !a.startsWith('--')) || process.env.SCREENSHOT_DIR || 'screenshots');
fs.mkdirSync(outDir, { recursive: true });

const base = baseUrl();
const fixture = await loadFixture(base);
const SIZES = {
  wide: { viewport: { width: 1400, height: 900 }, deviceScaleFactor: 1 },
  narrow: { viewport: { width: 390, height: 844 }, deviceScaleFactor: 2 },
};
const saved = [];

/** Resolves once the page has rendered everything and the fonts are in. */
async function settled(page) {
  await page.evaluate(() => document.fonts.ready.then(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))));
}

for (const theme of ['light', 'dark']) {
  for (const [size, { viewport, deviceScaleFactor }] of Object.entries(SIZES)) {
    const { context, close } = await launch({ viewport, colorScheme: theme, deviceScaleFactor });
    try {
      const page = context.pages()[0] || (await context.newPage());
      const errors = [];
      page.on('pageerror', (e) => errors.push(String(e)));
      const shot = async (name, opts = {}) => {
        await settled(page);
        const file = path.join(outDir, `${name}-${theme}-${size}.png`);
        await page.screenshot({ path: file, ...opts });
        saved.push(file);
      };

      await page.goto(`${base}/`);
      await page.waitForFunction(() => document.documentElement.classList.contains('js-ready'));
      // The example buttons and the index list have arrived (or there are none).
      await page.waitForFunction(() => document.getElementById('trace-index').options.length > 0);
      await page.waitForSelector('#examples:not([hidden]) .chip-btn', { timeout: 5_000 }).catch(() => {});
      if (ALL) await shot('home');

      // Trace the fixture text the way a person does: type it and press Trace.
      await page.fill('#prompt', fixture.prompt);
      await page.fill('#response', fixture.response);
      await page.click('#trace-btn');
      await page.waitForSelector('#result:not([hidden])');
      await page.waitForFunction(() => document.getElementById('result').getAttribute('aria-busy') === 'false'
        && !document.getElementById('trace-btn').disabled);
      if (await page.textContent('#trace-error')) throw new Error(`trace failed: ${await page.textContent('#trace-error')}`);
      if (!(await page.locator('#output .hl').count())) throw new Error('the trace highlighted nothing');
      // The view is where the page's own reveal scroll put it after the trace.
      // Park the pointer away from the text so no tooltip or hover colour shows.
      await page.mouse.move(viewport.width - 2, viewport.height - 2);
      await shot('trace');

      if (ALL) {
        const first = page.locator('#output .hl').first();
        await first.click();
        await page.waitForSelector('#docs-filter:not([hidden])');
        if (size === 'narrow') await page.locator('#docs-panel').scrollIntoViewIfNeeded();
        await page.mouse.move(viewport.width - 2, viewport.height - 2);
        await shot('trace-selected');
        await first.click();
        await page.waitForSelector('#docs-filter', { state: 'hidden' });
      }

      // The first (most relevant) document, with its matches marked.
      if (ALL || (theme === 'light' && size === 'wide')) {
        await page.locator('#doc-list .view-btn').first().click();
        await page.waitForSelector('#doc-dialog[open] #doc-dialog-body[aria-busy="false"]');
        if (!(await page.locator('#doc-dialog-body mark.doc-mark').count())) throw new Error('no match marked in the document');
        await shot('document');
        await page.keyboard.press('Escape');
        await page.waitForSelector('#doc-dialog', { state: 'hidden' });
      }

      if (ALL) {
        await page.locator('#tab-indexes').click();
        await page.waitForSelector('#index-list .index-card, #index-list .empty-inline, #indexes-error:not(:empty)');
        await shot('indexes');

        const words = (fixture.expectSpanTexts[0] || fixture.response).split(/\s+/).filter((w) => /^[\p{L}\p{N}]{4,}$/u.test(w)).slice(0, 3);
        await page.locator('#tab-search').click();
        await page.fill('#search-query', words.join(' ') || 'the');
        await page.press('#search-query', 'Enter');
        await page.waitForSelector('#search-btn:not([disabled])');
        await page.waitForFunction(() => document.getElementById('search-summary').textContent || document.getElementById('search-error').textContent);
        await shot('search');
      }
      // Issue 14: a trace against a group of training stages (documents labelled by stage,
      // filtered to one stage), and the advanced controls.
      if (fixture.group && theme === 'light' && size === 'wide') {
        await page.locator('#tab-trace').click();
        await page.selectOption('#trace-index', fixture.group);
        await page.fill('#prompt', '');
        await page.fill('#response', fixture.groupResponse);
        await page.click('#trace-btn');
        await page.waitForSelector('#stage-filter:not([hidden])');
        await page.waitForFunction(() => !document.getElementById('trace-btn').disabled);
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.mouse.move(viewport.width - 2, viewport.height - 2);
        await shot('stages');
        await page.locator('#stage-filter .stage-chip').nth(2).click();
        await page.mouse.move(viewport.width - 2, viewport.height - 2);
        await shot('stages-filtered');
        await page.locator('#advanced > summary').click();
        await page.fill('#opt-maximum_span_density', '0.2');
        await page.selectOption('#opt-span_ranking_method', 'length');
        await page.fill('#opt-maximum_documents_per_span', '3');
        await page.evaluate(() => window.scrollTo(0, 0));
        await page.mouse.move(viewport.width - 2, viewport.height - 2);
        await shot('advanced', { clip: await page.locator('#trace-form').boundingBox() });
      }
      if (errors.length) throw new Error(`the page threw: ${errors.join('; ')}`);
    } finally {
      await close();
    }
  }
}

console.log(`saved ${saved.length} screenshots to ${outDir}`);
for (const f of saved) console.log(`  ${path.basename(f)}  ${Math.round(fs.statSync(f).size / 1024)} KB`);
