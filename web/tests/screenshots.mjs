// Save PNG screenshots of a real trace: light & dark themes, wide & narrow.
//
//   VERBATIM_URL=http://127.0.0.1:8080 node screenshots.mjs OUT_DIR
//
// The traced text comes from VERBATIM_E2E_FIXTURE (see browser.mjs) or the
// server's first example.
import fs from 'node:fs';
import path from 'node:path';
import { launch, baseUrl, loadFixture, traceHash } from './browser.mjs';

const outDir = path.resolve(process.argv[2] || process.env.SCREENSHOT_DIR || 'screenshots');
fs.mkdirSync(outDir, { recursive: true });

const base = baseUrl();
const fixture = await loadFixture(base);
const VIEWPORTS = { wide: { width: 1400, height: 900 }, narrow: { width: 390, height: 844 } };
const saved = [];

for (const theme of ['light', 'dark']) {
  for (const [size, viewport] of Object.entries(VIEWPORTS)) {
    const { context, close } = await launch({ viewport, colorScheme: theme });
    try {
      const page = context.pages()[0] || (await context.newPage());
      const shot = async (name, opts = {}) => {
        const file = path.join(outDir, `${name}-${theme}-${size}.png`);
        await page.screenshot({ path: file, ...opts });
        saved.push(file);
      };

      // The empty page, before any trace.
      await page.goto(`${base}/`);
      await page.waitForFunction(() => document.documentElement.classList.contains('js-ready'));
      await page.waitForTimeout(300); // examples and indexes arrive
      await shot('home');

      await page.goto(`${base}/${traceHash(fixture)}`);
      await page.waitForSelector('#output .hl, #no-match:not([hidden])');
      await page.waitForSelector('#trace-btn:not([disabled])');
      await page.evaluate(() => document.fonts.ready);

      await shot('trace');
      if (size === 'narrow') await shot('trace-full', { fullPage: true });

      // Select the first span: the panel filters to its documents.
      const first = page.locator('#output .hl').first();
      if (await first.count()) {
        await first.click();
        await page.waitForSelector('#docs-filter:not([hidden])');
        if (size === 'wide') await shot('trace-selected');
        else {
          await page.locator('#docs-panel').scrollIntoViewIfNeeded();
          await shot('trace-selected');
        }
        // Open the first document.
        await page.locator('#doc-list .view-btn').first().click();
        await page.waitForSelector('#doc-dialog[open] #doc-dialog-body[aria-busy="false"]');
        await page.waitForTimeout(150);
        await shot('document');
        await page.keyboard.press('Escape');
      }

      // Index statistics and search views.
      await page.locator('#tab-indexes').click();
      await page.waitForSelector('#index-list .index-card, #index-list .empty-inline, #indexes-error:not(:empty)');
      await shot('indexes');

      // Keyword search for a few words of the traced text.
      const words = (fixture.expectSpanTexts[0] || fixture.response).split(/\s+/).filter((w) => /^[\p{L}\p{N}]{4,}$/u.test(w)).slice(0, 3);
      await page.locator('#tab-search').click();
      await page.fill('#search-query', words.join(' ') || 'the');
      await page.press('#search-query', 'Enter');
      await page.waitForSelector('#search-btn:not([disabled])');
      await page.waitForFunction(() => document.getElementById('search-summary').textContent || document.getElementById('search-error').textContent);
      await shot('search');
    } finally {
      await close();
    }
  }
}

console.log(`saved ${saved.length} screenshots to ${outDir}`);
for (const f of saved) console.log(`  ${path.basename(f)}`);
