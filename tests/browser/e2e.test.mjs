// End-to-end: the shop page in real headless Chromium → wasm core → batched POSTs → the reference
// collector → SQLite. One Chromium and one collector for the whole file.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

let collector;
let chrome;

before(async () => {
  collector = await startCollector();
  chrome = await launchBrowser();
});
after(async () => {
  if (chrome) await chrome.close();
  if (collector) await collector.stop();
});
beforeEach(async () => { await collector.reset(); });

async function openShop(query = '') {
  const t = await chrome.newPage();
  await t.page.goto(`${collector.url}/examples/h5/index.html${query}`);
  assert.equal(await t.page.evaluate(() => window.touchpointReady), true, 'SDK init resolved');
  return t;
}

function countBy(events, key) {
  const m = new Map();
  for (const e of events) m.set(e[key], (m.get(e[key]) || 0) + 1);
  return m;
}

describe('shop page → collector', () => {
  test('page views and shop actions land in the database with Segment-shaped context', async () => {
    const { page, context, problems } = await openShop();
    await page.click('a[href="#/p/A-1001"]');
    await page.click('#add-to-cart');
    await page.click('#cart-link');
    await page.click('#buy');
    await page.waitForFunction(() => location.hash === '#/done');
    await page.evaluate(() => window.touchpoint.flush());
    const events = await waitFor(async () => {
      const ev = await collector.events();
      return ev.some((e) => e.body.event === 'order_completed') && ev.filter((e) => e.body.type === 'page').length >= 4 ? ev : null;
    }, { what: 'shop events in the collector' });
    const bodies = events.map((e) => e.body);
    const view = bodies.find((b) => b.event === 'product_view');
    assert.equal(view.properties.sku, 'A-1001');
    assert.equal(view.properties.price, 129.5);
    assert.equal(view.context.library.name, 'touchpoint');
    assert.match(view.context.page.url, /\/examples\/h5\/index\.html#\/p\/A-1001$/);
    assert.match(view.context.userAgent, /Chrome/);
    assert.ok(view.context.timezone);
    assert.match(view.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.match(view.timestamp, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    const order = bodies.find((b) => b.event === 'order_completed');
    assert.equal(order.properties.products[0].sku, 'A-1001');
    const pages = bodies.filter((b) => b.type === 'page').map((b) => b.name);
    assert.ok(pages.includes('购物车 Cart'), `page names: ${pages}`);
    const anon = new Set(bodies.map((b) => b.anonymousId));
    assert.equal(anon.size, 1, 'one visitor');
    assert.deepEqual(problems, []);
    await assertHealthy(page);
    await context.close();
  });

  test('a reload right after 200 track() calls loses nothing and duplicates nothing', async () => {
    const { page, context, problems } = await openShop();
    await page.evaluate(() => {
      for (let i = 0; i < 200; i++) window.touchpoint.track('reload_test', { i, sku: 'A-1001', category: 'health', price: 129.5 });
      location.reload();
    });
    await page.waitForFunction(() => window.touchpointReady);
    const events = await waitFor(async () => {
      const ev = await collector.events('event=reload_test');
      return ev.length >= 200 ? ev : null;
    }, { what: '200 reload_test events', timeoutMs: 30000 });
    assert.equal(events.length, 200);
    const seen = new Set(events.map((e) => e.body.properties.i));
    assert.equal(seen.size, 200, 'every i exactly once');
    assert.equal(new Set(events.map((e) => e.messageId)).size, 200);
    assert.deepEqual(problems, []);
    await assertHealthy(page);
    await context.close();
  });

  test('with the collector answering 500 for 10 s, every event still arrives exactly once', async () => {
    const { page, context } = await openShop('?flushInterval=200');
    await collector.fault({ status: 500, duration_ms: 10000 });
    const started = Date.now();
    await page.evaluate(() => { for (let i = 0; i < 200; i++) window.touchpoint.track('outage_test', { i }); });
    const events = await waitFor(async () => {
      const ev = await collector.events('event=outage_test');
      return ev.length >= 200 ? ev : null;
    }, { what: '200 outage_test events after the outage', timeoutMs: 60000, intervalMs: 250 });
    assert.ok(Date.now() - started >= 10000, 'nothing could land during the outage');
    const fault = (await collector.json('/__fault')).body;
    assert.ok(fault.faulted > 0, 'the outage was really hit');
    assert.equal(new Set(events.map((e) => e.body.properties.i)).size, 200);
    const stats = await page.evaluate(() => window.touchpoint.queueStats());
    assert.equal(stats.dropped.queue_full || 0, 0);
    await assertHealthy(page);
    await context.close();
  });

  test('429 with Retry-After is honoured', async () => {
    const { page, context } = await openShop('?flushInterval=100');
    await collector.fault({ status: 429, retry_after_s: 2, duration_ms: 1000 });
    const t0 = Date.now();
    await page.evaluate(() => window.touchpoint.track('throttle_test', { n: 1 }));
    await waitFor(async () => (await collector.events('event=throttle_test')).length === 1, { what: 'throttled event', timeoutMs: 20000 });
    assert.ok(Date.now() - t0 >= 1900, 'waited at least Retry-After');
    await assertHealthy(page);
    await context.close();
  });
});
