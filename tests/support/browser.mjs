// One headless Chromium (Debian's) for all browser tests in a run.
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
      const page = await context.newPage();
      const problems = [];
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('console', (m) => { if (m.type() === 'error' && !/favicon|Failed to load resource/.test(m.text())) problems.push(`console: ${m.text()}`); });
      return { page, context, problems };
    },
    async close() { await browser.close(); fs.rmSync(udd, { recursive: true, force: true }); },
  };
}
