// Issue 7, "delivery is confirmed only by the collector", in headless Chromium against the real
// collector in fault mode, one test per row of the table: a 200 with a captive portal's
// HTML page, a 200 with a non-JSON body, a backend that hangs, an endpoint that moved (301), and a
// kiosk an hour offline. Each asserts that every event reached the database exactly once by
// messageId after the fault ended, that duplicate receipts stay within 5 %, and what was reported.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

let collector;
let chrome;
before(async () => { collector = await startCollector(); chrome = await launchBrowser(); });
after(async () => { if (chrome) await chrome.close(); if (collector) await collector.stop(); });
beforeEach(async () => { await collector.reset(); });

async function open(query = '', { beforeLoad } = {}) {
  const tab = await chrome.newPage();
  tab.logs = [];
  tab.page.on('console', (m) => { if (m.text().startsWith('[touchpoint]')) tab.logs.push(m.text()); });
  if (beforeLoad) await beforeLoad(tab);
  await tab.page.goto(`${collector.url}/tests/browser/pages/sdk.html?autotrack=false&debug${query}`);
  assert.equal(await tab.page.evaluate(() => window.touchpointReady), true);
  return tab;
}

function track(page, name, n) {
  return page.evaluate(([name, n]) => { for (let i = 0; i < n; i++) window.touchpoint.track(name, { i }); }, [name, n]);
}

function errorCodes(page) { return page.evaluate(() => window.errors.map((e) => e.code)); }

async function waitForError(page, code, timeoutMs = 20000) {
  await waitFor(async () => (await errorCodes(page)).includes(code), { what: `on('error') with ${code}`, timeoutMs });
}

// Every event named `name` with i = 0..n-1 is in the database exactly once (distinct messageIds).
async function assertAllDelivered(name, n, timeoutMs = 30000) {
  const events = await waitFor(async () => {
    const ev = await collector.events(`event=${name}`);
    return ev.length >= n ? ev : null;
  }, { what: `${n} ${name} events`, timeoutMs, intervalMs: 200 });
  assert.equal(events.length, n, 'no event stored twice');
  assert.equal(new Set(events.map((e) => e.messageId)).size, n, 'distinct messageIds');
  assert.deepEqual([...new Set(events.map((e) => e.body.properties.i))].sort((a, b) => a - b), [...Array(n).keys()]);
  const stats = (await collector.json('/v1/stats')).body;
  assert.ok(stats.duplicates <= Math.floor(n * 0.05), `duplicate receipts ${stats.duplicates} of ${n} events`);
  return events;
}

async function assertNothingStored(name) {
  assert.equal((await collector.events(`event=${name}`)).length, 0, 'nothing stored during the fault');
}

describe('delivery is confirmed only by the collector (Chromium)', () => {
  test('a 200 with a captive portal HTML page: retried, delivery_unconfirmed, all delivered after', async () => {
    await collector.fault({ html200: true });
    const { page, context } = await open('&flushInterval=100');
    await track(page, 'portal_test', 60);
    await waitForError(page, 'delivery_unconfirmed');
    await assertNothingStored('portal_test');
    assert.ok((await collector.json('/__fault')).body.faulted > 0);
    assert.ok(!(await errorCodes(page)).includes('batch_rejected'), 'never dropped');
    await collector.fault({ reset: true });
    await assertAllDelivered('portal_test', 60);
    await assertHealthy(page);
    await context.close();
  });

  test('a 200 with a non-JSON body (and an empty one): retried, delivery_unconfirmed, all delivered after', async () => {
    await collector.fault({ body200: 'OK' });
    const { page, context } = await open('&flushInterval=100');
    await track(page, 'nonjson_test', 60);
    await waitForError(page, 'delivery_unconfirmed');
    await collector.fault({ body200: '' });
    const before = (await collector.json('/__fault')).body.faulted_total;
    await waitFor(async () => (await collector.json('/__fault')).body.faulted_total > before, { what: 'an empty 200 answered' });
    await assertNothingStored('nonjson_test');
    await collector.fault({ reset: true });
    await assertAllDelivered('nonjson_test', 60);
    const unconfirmed = (await page.evaluate(() => window.errors)).filter((e) => e.code === 'delivery_unconfirmed');
    assert.ok(unconfirmed.some((e) => /not JSON/.test(e.message)), 'names the non-JSON body');
    assert.ok(unconfirmed.some((e) => /empty/.test(e.message)), 'names the empty body');
    await assertHealthy(page);
    await context.close();
  });

  test('a backend that hangs: each request times out (requestTimeoutMs 1500), logged, all delivered after', async () => {
    await collector.fault({ hang_ms: 120000, discard: true });
    const tab = await open('&flushInterval=100&requestTimeoutMs=1500');
    const { page, context } = tab;
    const t0 = Date.now();
    await track(page, 'hang_test', 40);
    await waitFor(async () => tab.logs.some((l) => /HTTP 0 -> retry .*request timed out after 1500 ms/.test(l)),
      { what: 'a logged timeout', timeoutMs: 15000 });
    assert.ok(Date.now() - t0 < 10000, 'the timeout fired in time');
    await assertNothingStored('hang_test');
    await collector.fault({ reset: true });
    await assertAllDelivered('hang_test', 40);
    await assertHealthy(page);
    await context.close();
  });

  test('an endpoint that moved (301): not followed, retried, endpoint_moved, all delivered after', async () => {
    await collector.fault({ redirect: 301, location: '/v1/moved-batch' });
    const { page, context } = await open('&flushInterval=100');
    await track(page, 'moved_test', 60);
    await waitForError(page, 'endpoint_moved');
    await assertNothingStored('moved_test');
    assert.ok(!(await errorCodes(page)).includes('batch_rejected'), 'never dropped');
    await collector.fault({ reset: true });
    await assertAllDelivered('moved_test', 60);
    await assertHealthy(page);
    await context.close();
  });

  test('the page becoming visible again sends the waiting backlog at once, not after its backoff', async () => {
    await collector.fault({ status: 503, retry_after_s: 120 });
    // One batch (flushAt 50): no second answer can land after the resume and set its own backoff.
    const tab = await open('&flushInterval=100&flushAt=50');
    const { page, context } = tab;
    await track(page, 'visible_test', 30);
    await waitFor(async () => tab.logs.some((l) => /HTTP 503 -> retry/.test(l)), { what: 'a 503 with Retry-After 120 s' });
    await collector.fault({ reset: true });
    const t0 = Date.now();
    await page.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { value: 'visible', configurable: true });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    await assertAllDelivered('visible_test', 30, 20000);
    assert.ok(Date.now() - t0 < 20000, 'well before the 120 s Retry-After');
    assert.ok(tab.logs.some((l) => l.includes('resume:')), 'visible resumed the queue');
    await assertHealthy(page);
    await context.close();
  });

  test('a kiosk an hour offline with 3,000 events: >= 95 % delivered within 30 s of reconnecting', async () => {
    const tab = await open('', { beforeLoad: async ({ page }) => { await page.clock.install(); } });
    const { page, context } = tab;
    await context.setOffline(true);
    // An hour of a busy store screen: 50 events a minute, the clock jumping a minute at a time
    // (the SDK's timers fire, its sends fail offline and back off up to the 5-minute cap).
    for (let minute = 0; minute < 60; minute++) {
      await page.evaluate((m) => { for (let i = 0; i < 50; i++) window.touchpoint.track('kiosk_offline', { i: m * 50 + i }); }, minute);
      await page.clock.fastForward(60 * 1000);
    }
    const queued = await page.evaluate(() => window.touchpoint.queueStats().queued);
    assert.ok(queued >= 3000, `the backlog is queued (${queued})`);
    await assertNothingStored('kiosk_offline');
    const reconnected = Date.now();
    await context.setOffline(false);
    await waitFor(async () => (await collector.events('event=kiosk_offline')).length >= 2850,
      { what: '95 % of the backlog', timeoutMs: 30000, intervalMs: 250 });
    const drainMs = Date.now() - reconnected;
    assert.ok(drainMs <= 30000, `95 % within ${drainMs} ms`);
    await assertAllDelivered('kiosk_offline', 3000, 30000);
    assert.ok(tab.logs.some((l) => l.includes('resume:')), 'the online event resumed the queue');
    await assertHealthy(page);
    await context.close();
  });
});
