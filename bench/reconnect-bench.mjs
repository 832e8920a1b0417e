// `make bench`: the time to drain an hour's backlog after reconnecting (issue 7, the kiosk case).
// Headless Chromium, the real collector: a page goes offline, tracks 3,000 events over an hour of
// Playwright's fake clock (50 a minute, its sends failing and backing off up to 5 min), then comes
// back online; we poll the collector until every event is stored. Figures, not assertions.
import { startCollector } from '../tests/support/collector.mjs';
import { launchBrowser } from '../tests/support/browser.mjs';

const EVENTS = 3000;
const MINUTES = 60;
const LIMIT_MS = 120000; // the poll gives up here (the old SDK needed ~4.5 min)

const collector = await startCollector();
const chrome = await launchBrowser();
try {
  const { page, context } = await chrome.newPage();
  await page.clock.install();
  await page.goto(`${collector.url}/tests/browser/pages/sdk.html?autotrack=false&writeKey=reconnect-bench`);
  if ((await page.evaluate(() => window.touchpointReady)) !== true) throw new Error('the SDK did not start');
  await context.setOffline(true);
  const perMinute = EVENTS / MINUTES;
  for (let m = 0; m < MINUTES; m++) {
    await page.evaluate(([m, n]) => { for (let i = 0; i < n; i++) window.touchpoint.track('reconnect_bench', { i: m * n + i }); }, [m, perMinute]);
    await page.clock.fastForward(60 * 1000);
  }
  const count = async () => (await collector.events('event=reconnect_bench')).length;
  const t0 = Date.now();
  await context.setOffline(false);
  let at95 = null;
  let n = 0;
  while (Date.now() - t0 < LIMIT_MS) {
    n = await count();
    if (at95 === null && n >= EVENTS * 0.95) at95 = Date.now() - t0;
    if (n >= EVENTS) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const all = n >= EVENTS ? Date.now() - t0 : null;
  const stats = (await collector.json('/v1/stats')).body;
  console.log('== reconnect after an hour offline (3,000 events, headless Chromium, real collector)');
  console.log(`95 % delivered after ${at95 === null ? `> ${LIMIT_MS}` : at95} ms; all ${EVENTS} after ${all === null ? `> ${LIMIT_MS} ms (${n} stored)` : `${all} ms`}` +
    ` (target: 95 % within 30 s); ${stats.batches} batches, ${stats.duplicates} duplicate receipts`);
  await context.close();
} finally {
  await chrome.close();
  await collector.stop();
}
