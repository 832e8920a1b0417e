// One headless Chromium (Debian's) for all browser tests in a run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export async function launchBrowser() {
  const udd = fs.mkdtempSync(path.join(os.tmpdir(), 'tp-chromium-'));
  const browser = await chromium.launch({ executablePath: process.env.TP_CHROMIUM || '/usr/bin/chromium', headless: true, args: ARGS });
  return {
    browser,
    // A fresh context per test: its own localStorage, like a new visitor.
    async newPage() {
      const context = await browser.newContext();
      // Every SDK error of every page of this context (reloads included) reaches Node through the
      // SDK's debug hook (globalThis.__touchpointHooks.onError, js/src/touchpoint.js _error).
      const sdkErrors = [];
      await context.exposeBinding('__tpReportError', (source, e) => { sdkErrors.push({ url: source.page && source.page.url(), ...e }); });
      await context.addInitScript(() => {
        window.__touchpointHooks = { onError: (e) => { window.__tpReportError({ code: e && e.code, message: e && e.message }); } };
      });
      const page = await context.newPage();
      const problems = [];
      const pageErrors = [];
      page.on('pageerror', (e) => { problems.push(`pageerror: ${e.message}`); pageErrors.push(e.message); });
      HEALTH.set(page, { sdkErrors, pageErrors });
      page.on('console', (m) => { if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`); });
      return { page, context, problems };
    },
    async close() { await browser.close(); fs.rmSync(udd, { recursive: true, force: true }); },
  };
}

const HEALTH = new WeakMap(); // page -> { sdkErrors, pageErrors } (see newPage)
// Codes that mean the core itself broke (js/src/core-guard.js), never acceptable in a test.
const CORE_FAILURES = new Set(['core_failed', 'core_unavailable', 'call_dropped', 'core_answer_invalid']);

// Asserts the page (and every page of its context) never saw the core fail and never threw an
// uncaught error: `await assertHealthy(page)` at the end of each test that touches the shop.
export async function assertHealthy(page) {
  const h = HEALTH.get(page);
  assert.ok(h, 'assertHealthy: not a page from launchBrowser().newPage()');
  if (!page.isClosed()) await page.evaluate(() => 0).catch(() => {}); // let pending reports arrive
  assert.deepEqual(h.sdkErrors.filter((e) => CORE_FAILURES.has(e.code)), [], 'no core failure');
  assert.deepEqual(h.pageErrors, [], 'no uncaught page error');
}
