// The shared, durable queue (issue 7 part B, docs/storage.md) in headless Chromium against the real
// collector: records in IndexedDB (and the localStorage fallback), one sender per origin and write
// key, adoption of closed and crashed tabs' records, a full store, a reload with a backlog.
// Duplicates are counted by the collector (it dedupes on messageId and counts each re-receipt).
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

const MAX_DUPLICATE_SHARE = 0.05; // issue 7: duplicate receipts <= 5 % of events

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

// Another tab of the context of `t` (launchBrowser().newPage()); its uncaught errors go to t.problems.
async function open(t, query = '', page = null) {
  if (!page) {
    page = await t.context.newPage();
    page.on('pageerror', (e) => t.problems.push(`pageerror: ${e.message}`));
  }
  await page.goto(`${collector.url}/tests/browser/pages/store.html${query}`);
  assert.equal(await page.evaluate(() => window.touchpointReady), true, 'SDK init resolved');
  return page;
}

const stats = async () => (await collector.json('/v1/stats')).body;

// The events named `name` in the database, each (tab, i) counted once; waits until `n` are in.
async function delivered(name, n, timeoutMs = 60000) {
  return waitFor(async () => {
    const ev = await collector.events(`event=${name}`);
    return ev.length >= n ? ev : null;
  }, { what: `${n} ${name} events in the database`, timeoutMs, intervalMs: 250 });
}

function assertEach(events, expected) {
  const seen = new Set(events.map((e) => `${e.body.properties.tab || ''}:${e.body.properties.i}`));
  assert.equal(seen.size, expected, `every event exactly once in the database (${seen.size} of ${expected})`);
  assert.equal(new Set(events.map((e) => e.messageId)).size, events.length);
}

async function assertFewDuplicates(events) {
  const s = await stats();
  assert.ok(s.duplicates <= MAX_DUPLICATE_SHARE * events, `${s.duplicates} duplicate receipts for ${events} events (<= 5 %)`);
  return s.duplicates;
}

describe('shared queue: records, one sender, adoption', () => {
  test('two tabs during an outage, the sender crashed and the other closed: every event of both arrives once', async () => {
    const t = await chrome.newPage();
    const { context } = t;
    await collector.fault({ status: 500 }); // until reset
    const a = await open(t, '?flushInterval=100', t.page);
    await waitFor(() => a.evaluate(() => window.isSender()), { what: 'tab A is the sender' });
    const b = await open(t, '?flushInterval=100');
    assert.equal(await b.evaluate(() => window.isSender()), false, 'one sender per origin and write key');
    assert.equal(await b.evaluate(() => window.storeKind()), 'indexeddb');
    await a.evaluate(() => window.trackMany('two_tabs', 300, { tab: 'a' }));
    await b.evaluate(() => window.trackMany('two_tabs', 300, { tab: 'b' }));
    // Both tabs' events are records (plus a session_start each).
    await waitFor(() => a.evaluate(() => window.recordCount()).then((n) => n >= 602), { what: '602 records in IndexedDB' });
    const faulted = (await collector.json('/__fault')).body.faulted;
    assert.ok(faulted > 0, 'the sender tried during the outage');
    // A crashes: B takes over the sending and adopts A's records.
    const cdp = await context.newCDPSession(a);
    const crashed = new Promise((r) => a.once('crash', r));
    cdp.send('Page.crash').catch(() => {});
    await crashed;
    await waitFor(() => b.evaluate(() => window.isSender()), { what: 'tab B becomes the sender after A crashed' });
    await waitFor(async () => (await collector.json('/__fault')).body.faulted > faulted, { what: 'B sending during the outage' });
    // B is closed during the outage too; the network recovers; the next page of the shop sends all.
    await b.close();
    await collector.fault({ reset: true });
    const c = await open(t, '?flushInterval=100');
    await waitFor(() => c.evaluate(() => window.isSender()), { what: 'the next page is the sender' });
    const events = await delivered('two_tabs', 600);
    assertEach(events, 600);
    await waitFor(() => c.evaluate(() => window.recordCount()).then((n) => n === 0), { what: 'every record deleted once confirmed' });
    const dups = await assertFewDuplicates(600);
    console.log(`two tabs: 600 events, ${dups} duplicate receipts`);
    await assertHealthy(t.page); // the SDK errors of every tab of the context; A's page errors
    assert.deepEqual(t.problems.filter((p) => p.startsWith('pageerror')), [], 'no uncaught error in B or C');
    await context.close();
  });

  test('without Web Locks a lease in localStorage elects one sender; a closed sender is replaced', async () => {
    const t = await chrome.newPage();
    const a = await open(t, '?nolocks&flushInterval=100', t.page);
    await waitFor(() => a.evaluate(() => window.isSender()), { what: 'tab A holds the lease' });
    const b = await open(t, '?nolocks&flushInterval=100');
    assert.equal(await b.evaluate(() => window.isSender()), false, 'the lease is A\'s');
    await collector.fault({ status: 500 });
    await b.evaluate(() => window.trackMany('lease', 50, { tab: 'b' }));
    await waitFor(() => b.evaluate(() => window.recordCount()).then((n) => n >= 50), { what: "B's records" });
    await a.close();
    await collector.fault({ reset: true });
    await waitFor(() => b.evaluate(() => window.isSender()), { what: 'B takes the expired lease', timeoutMs: 15000 });
    const events = await delivered('lease', 50);
    assertEach(events, 50);
    await assertFewDuplicates(50);
    await assertHealthy(t.page); // SDK errors of both tabs, A's page errors
    assert.deepEqual(t.problems.filter((p) => p.startsWith('pageerror')), [], 'no uncaught error in B');
    await t.context.close();
  });

  test('a reload with a backlog sends each event about once (receipts for what the unload sent)', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/store.html?flushInterval=100`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await collector.fault({ status: 500 });
    await page.evaluate(() => window.trackMany('reload_backlog', 200));
    await waitFor(() => page.evaluate(() => window.recordCount()).then((n) => n >= 201), { what: '201 records' });
    await collector.fault({ reset: true });
    await page.reload();
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    const events = await delivered('reload_backlog', 200);
    assertEach(events, 200);
    await waitFor(() => page.evaluate(() => window.recordCount()).then((n) => n === 0), { what: 'records deleted' });
    const dups = await assertFewDuplicates(200);
    console.log(`reload with a backlog: 200 events, ${dups} duplicate receipts`);
    await assertHealthy(page);
    await context.close();
  });

  test('the previous version\'s snapshot (events inside tp:<writeKey>:state) is migrated once: its events become records and arrive', async () => {
    const { page, context } = await chrome.newPage();
    // The format of the previous version: TPS1, a header, rule state, one event per line.
    const event = (i) => JSON.stringify({ type: 'track', event: 'legacy', properties: { i }, anonymousId: 'legacy-anon',
      userId: null, messageId: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`, timestamp: '2026-12-01T00:00:00.000Z', context: {} });
    const header = { visit: { identity: { v: 1, anonymous_id: 'legacy-anon' } }, queue: { batches: [{ id: 1, n: 2, attempts: 1 }], pending: 1, next_batch_id: 2 } };
    const legacy = ['TPS1', JSON.stringify(header), '', event(0), event(1), event(2), ''].join('\n');
    await context.addInitScript((snap) => { if (!sessionStorage.getItem('seeded')) { sessionStorage.setItem('seeded', '1'); localStorage.setItem('tp:store-test:state', snap); } }, legacy);
    await page.goto(`${collector.url}/tests/browser/pages/store.html?flushInterval=100`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    const events = await delivered('legacy', 3);
    assertEach(events, 3);
    assert.equal(await page.evaluate(() => window.touchpoint.anonymousId()), 'legacy-anon', 'identity kept');
    await waitFor(() => page.evaluate(() => localStorage.getItem('tp:store-test:state') === null), { what: 'the old key removed once migrated' });
    await waitFor(() => page.evaluate(() => window.recordCount()).then((n) => n === 0), { what: 'records deleted once delivered' });
    await page.reload();
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await page.evaluate(() => window.touchpoint.flush());
    assert.equal((await collector.events('event=legacy')).length, 3, 'migrated once, not again');
    await assertHealthy(page);
    await context.close();
  });

  test('without IndexedDB the localStorage store keeps the queue across a reload', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/store.html?noidb&flushInterval=100`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    assert.equal(await page.evaluate(() => window.storeKind()), 'localStorage');
    await collector.fault({ status: 500 });
    await page.evaluate(() => window.trackMany('ls_fallback', 100));
    await waitFor(() => page.evaluate(() => window.recordCount()).then((n) => n >= 101), { what: '101 records in localStorage' });
    assert.ok(await page.evaluate(() => Object.keys(localStorage).filter((k) => k.startsWith('tp:store-test:r:')).length >= 101),
      'one localStorage key per record');
    await page.reload();
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await collector.fault({ reset: true });
    const events = await delivered('ls_fallback', 100);
    assertEach(events, 100);
    await assertFewDuplicates(100);
    await assertHealthy(page);
    await context.close();
  });

  test('localStorage completely full: storage_full is reported, nothing is lost across a reload on a flaky network', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/store.html?store=localStorage&flushInterval=100`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await page.evaluate(() => window.fillLocalStorage(0));
    await collector.fault({ status: 500, count: 4 });
    await page.evaluate(() => window.trackMany('ls_full', 200));
    await waitFor(() => page.evaluate(() => window.errors.some((e) => e.code === 'storage_full')), { what: 'storage_full reported' });
    await page.reload();
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    const events = await delivered('ls_full', 200);
    assertEach(events, 200);
    await assertHealthy(page);
    await context.close();
  });

  test('localStorage nearly full (8 KB free): storage_full is reported, nothing is lost across a reload on a flaky network', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/store.html?store=localStorage&flushInterval=100`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await page.evaluate(() => window.fillLocalStorage(8 * 1024));
    await collector.fault({ status: 500, count: 4 });
    await page.evaluate(() => window.trackMany('ls_nearly', 200));
    await waitFor(() => page.evaluate(() => window.errors.some((e) => e.code === 'storage_full')), { what: 'storage_full reported' });
    await page.reload();
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    const events = await delivered('ls_nearly', 200);
    assertEach(events, 200);
    await assertHealthy(page);
    await context.close();
  });

  test('a store full of its own records: the oldest are freed, counted as dropped storage_full and delivered in `dropped`', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/tests/browser/pages/store.html?store=localStorage&flushInterval=100`);
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    await collector.fault({ status: 500 });
    await page.evaluate(() => window.fillLocalStorage(60 * 1024));
    // Separate drains: the first ones are stored, then the store is full of this SDK's records.
    for (let k = 0; k < 10; k++) {
      await page.evaluate((k) => window.trackMany('ls_own', 20, { k }), k);
      await waitFor(() => page.evaluate(() => window.touchpoint._unwritten.size === 0 || window.errors.some((e) => e.code === 'storage_full')),
        { what: 'the drain written (or the store full)' });
    }
    await waitFor(() => page.evaluate(() => window.errors.some((e) => e.code === 'storage_full')), { what: 'storage_full reported' });
    await waitFor(() => page.evaluate(() => window.errors.some((e) => e.code === 'storage_full')), { what: 'storage_full reported' });
    await collector.fault({ reset: true });
    await page.evaluate(() => window.touchpoint.flush());
    // Every event is in the database or counted as dropped in a batch the collector stored.
    const result = await waitFor(async () => {
      const got = new Set((await collector.events('event=ls_own')).map((e) => `${e.body.properties.k}:${e.body.properties.i}`)).size;
      const s = await stats();
      const dropped = s.dropped.total;
      return got + dropped >= 200 ? { got, dropped } : null;
    }, { what: 'delivered + dropped = 200', timeoutMs: 60000, intervalMs: 250 });
    assert.ok(result.dropped > 0, 'the oldest were freed and counted');
    const q = await page.evaluate(() => window.touchpoint.queueStats());
    assert.ok((q.dropped.storage_full || 0) > 0, 'counted as storage_full');
    console.log(`store full of its own records: ${result.got} delivered, ${result.dropped} counted as dropped`);
    await assertHealthy(page);
    await context.close();
  });
});
