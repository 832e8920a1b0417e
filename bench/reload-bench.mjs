// `make bench`: duplicate receipts per reload with a backlog (issue 7, target <= 5 % of events),
// in headless Chromium against the real collector (build-native/touchpoint-collector). Two cases:
//  - backlog: 200 events queued during an outage, the network recovers, the page reloads at once;
//  - burst: 200 track() calls then location.reload() in the same task (the e2e reload case).
// Figures, not assertions: duplicates = re-receipts the collector counted (it dedupes on messageId).
import { launchBrowser } from '../tests/support/browser.mjs';
import { startCollector, waitFor } from '../tests/support/collector.mjs';

const RUNS = Number(process.env.TP_RELOAD_RUNS || 3);
const EVENTS = 200;

const collector = await startCollector();
const chrome = await launchBrowser();
const stats = async () => (await collector.json('/v1/stats')).body;
const count = async (name) => new Set((await collector.events(`event=${name}`)).map((e) => e.body.properties.i)).size;

async function run(kind) {
  await collector.reset();
  const { page, context } = await chrome.newPage();
  await page.goto(`${collector.url}/tests/browser/pages/store.html?flushInterval=100`);
  await page.evaluate(() => window.touchpointReady);
  const name = `bench_${kind}`;
  if (kind === 'backlog') {
    await collector.fault({ status: 500 });
    await page.evaluate((n) => window.trackMany('bench_backlog', n), EVENTS);
    await waitFor(() => page.evaluate(() => window.recordCount()).then((n) => n >= 201), { what: 'records', timeoutMs: 30000 });
    await collector.fault({ reset: true });
    await page.reload();
  } else {
    await page.evaluate((n) => { window.trackMany('bench_burst', n); location.reload(); }, EVENTS);
    await page.waitForFunction(() => window.touchpointReady);
  }
  await waitFor(async () => (await count(name)) >= EVENTS, { what: `${EVENTS} ${name}`, timeoutMs: 60000, intervalMs: 250 });
  await waitFor(() => page.evaluate(() => window.recordCount()).then((n) => n === 0), { what: 'records deleted', timeoutMs: 30000 });
  const s = await stats();
  await context.close();
  return s.duplicates;
}

try {
  console.log(`== reload with a backlog (${EVENTS} events, ${RUNS} runs each; target <= ${EVENTS * 0.05} duplicates)`);
  for (const kind of ['backlog', 'burst']) {
    const dups = [];
    for (let i = 0; i < RUNS; i++) dups.push(await run(kind));
    const mean = dups.reduce((a, b) => a + b, 0) / dups.length;
    console.log(`${kind.padEnd(8)} duplicate receipts per reload: ${dups.join(', ')} (mean ${mean.toFixed(1)} = ${(100 * mean / EVENTS).toFixed(1)} % of events)`);
  }
} finally {
  await chrome.close();
  await collector.stop();
}
