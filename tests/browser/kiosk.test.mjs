// Kiosk mode end to end (docs/kiosk.md), in headless Chromium against the reference collector:
// visits end by idle (Playwright's page.clock) and by endVisit(), each customer is a visitor of
// their own and every event names the screen and the store; memory stays flat over a simulated
// day of 100,000 events; a kiosk offline for a day, reloaded at night, loses nothing.
import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';
import { assertHealthy, launchBrowser } from '../support/browser.mjs';

const KIOSK = { deviceId: 'screen-07', storeId: 'SH-01', idleResetMs: 60000 };
const T0 = Date.parse('2026-12-03T08:00:00Z'); // the store opens
const HOUR = 3600 * 1000;

let collector;
let chrome;
// The shop's rules (traits, a score, tags, a stage): the day's customers are tagged, and none may
// inherit the tags of the one before. Tests that do not need them open the page with rules=false.
const RULES = path.join(ROOT, 'examples/rules/shop-rules.json');
before(async () => { collector = await startCollector({ args: ['--rules', RULES] }); chrome = await launchBrowser(); });
after(async () => { if (chrome) await chrome.close(); if (collector) await collector.stop(); });
beforeEach(async () => { await collector.reset(); });

// A kiosk page; with `clock`, Playwright's fake clock drives Date and timers from T0.
async function open(params = {}, { clock = true, kiosk = KIOSK } = {}) {
  const tab = await chrome.newPage();
  if (clock) await tab.page.clock.install({ time: T0 });
  const q = new URLSearchParams({ kiosk: JSON.stringify(kiosk), ...params });
  await tab.page.goto(`${collector.url}/tests/browser/pages/kiosk.html?${q}`);
  tab.ready = await tab.page.evaluate(() => window.touchpointReady);
  return tab;
}
const flush = (page) => page.evaluate(() => window.touchpoint.flush());
const tap = (page) => page.evaluate(() => document.dispatchEvent(new Event('pointerdown')));
async function allEvents(done, what) {
  return waitFor(async () => { const ev = (await collector.events()).map((e) => e.body); return done(ev) ? ev : null; }, { what });
}

describe('kiosk: one visitor per customer, credited to the store', () => {
  test('idle: no interaction for idleResetMs ends the visit; the next customer is a new visitor with nothing inherited', async () => {
    const { page, context, ready } = await open();
    assert.equal(ready, true);
    await waitFor(() => page.evaluate(() => touchpoint.rulesVersion() !== ''), { what: 'rules loaded' });
    const first = await page.evaluate(() => {
      touchpoint.identify('member-1', { tier: 'gold' });
      touchpoint.register({ screen_lang: 'zh' });
      for (let i = 0; i < 3; i++) touchpoint.track('product_view', { sku: 'K-101', category: 'health' });
      return touchpoint.anonymousId();
    });
    await waitFor(() => page.evaluate(() => touchpoint.tags().includes('interest:health')), { what: 'the customer tagged' });
    // Interaction keeps the visit open: 40 s, a tap, 40 s more is 80 s since the page but 40 s idle.
    await page.clock.runFor(40000);
    await page.mouse.click(5, 5); // a real pointerdown on the page
    await page.clock.runFor(40000);
    assert.deepEqual(await page.evaluate(() => window.visitEnds), []);
    assert.equal(await page.evaluate(() => touchpoint.anonymousId()), first);
    await page.clock.runFor(21000);
    const [ended] = await waitFor(() => page.evaluate(() => (window.visitEnds.length ? window.visitEnds : null)), { what: 'visit_end notification' });
    assert.equal(ended.reason, 'idle');
    assert.equal(ended.previousAnonymousId, first);
    const second = await page.evaluate(() => touchpoint.anonymousId());
    assert.notEqual(second, first);
    assert.equal(ended.anonymousId, second);
    assert.equal(await page.evaluate(() => touchpoint.userId()), null);
    assert.deepEqual(await page.evaluate(() => touchpoint.tags()), [], 'the next customer inherits no tags');
    // No second idle end while nobody touches the screen.
    await page.clock.runFor(5 * 60000);
    assert.equal(await page.evaluate(() => window.visitEnds.length), 1);
    await page.evaluate(() => touchpoint.track('product_view', { sku: 'K-102' }));
    await flush(page);

    const events = await allEvents((ev) => ev.some((e) => e.event === 'product_view' && e.anonymousId === second), 'second visitor');
    assert.deepEqual([...new Set(events.map((e) => e.anonymousId))].sort(), [first, second].sort());
    for (const e of events) {
      assert.deepEqual(e.context.kiosk, { deviceId: 'screen-07', storeId: 'SH-01' }, `${e.event || e.type} carries the kiosk`);
      assert.equal(e.context.first_touch && e.context.first_touch.store_id, 'SH-01', JSON.stringify(e));
    }
    const visitEnds = events.filter((e) => e.event === 'visit_end');
    assert.equal(visitEnds.length, 1);
    const [ve] = visitEnds;
    assert.equal(ve.anonymousId, first);
    assert.equal(ve.userId, 'member-1');
    assert.equal(ve.properties.reason, 'idle');
    // From the first event to the last tap (40 s of fake time and some real ms) plus the idle minute.
    assert.ok(ve.properties.duration_ms >= 100000 && ve.properties.duration_ms < 130000, `duration_ms ${ve.properties.duration_ms}`);
    assert.ok(ve.context.tags.includes('interest:health'), 'visit_end carries the leaver\'s tags');
    const after = events.filter((e) => e.anonymousId === second && e.event !== 'tags_changed');
    assert.deepEqual(after.map((e) => e.event || e.type), ['session_start', 'product_view']);
    assert.deepEqual(after[0].context.tags, []);
    assert.ok(!after[1].context.tags.includes('interest:health'));
    assert.equal(after[0].properties.session_number, 1);
    assert.notEqual(after[1].context.session.id, ve.context.session.id);
    assert.equal(after[1].userId, null);
    assert.equal(after[1].properties.screen_lang, undefined);
    assert.equal(ve.properties.screen_lang, undefined); // visit_end is the SDK's, not the page's
    // The dashboard credits both visitors to the store.
    const touches = (await collector.json('/v1/dashboard/touches')).body;
    assert.equal(touches.first.store['SH-01'], 2);
    await assertHealthy(page);
    await context.close();
  });

  test('endVisit(): visit_end under the leaving visitor, the next events under a new one; works without kiosk mode', async () => {
    const { page, context, ready } = await open({ rules: 'false' }, { clock: false });
    assert.equal(ready, true);
    const ids = await page.evaluate(async () => {
      touchpoint.identify('member-2');
      touchpoint.track('member_signup');
      const a = touchpoint.anonymousId();
      touchpoint.endVisit();
      touchpoint.track('product_view', { sku: 'K-201' });
      await touchpoint.flush();
      return { a, b: touchpoint.anonymousId(), ends: window.visitEnds };
    });
    assert.notEqual(ids.a, ids.b);
    assert.deepEqual(ids.ends, [{ reason: 'api', previousAnonymousId: ids.a, anonymousId: ids.b }]);
    const events = await allEvents((ev) => ev.some((e) => e.event === 'product_view'), 'product_view');
    const names = (id) => events.filter((e) => e.anonymousId === id).map((e) => e.event || e.type);
    assert.deepEqual(names(ids.a), ['session_start', 'identify', 'member_signup', 'session_end', 'visit_end']);
    assert.deepEqual(names(ids.b), ['session_start', 'product_view']);
    const ve = events.find((e) => e.event === 'visit_end');
    assert.equal(ve.properties.reason, 'api');
    assert.equal(ve.userId, 'member-2');
    for (const e of events) assert.deepEqual(e.context.kiosk, { deviceId: 'screen-07', storeId: 'SH-01' });
    await assertHealthy(page);
    await context.close();

    // A shared device without kiosk mode: endVisit() works the same, no kiosk context.
    await collector.reset();
    const plain = await chrome.newPage();
    await plain.page.goto(`${collector.url}/tests/browser/pages/kiosk.html?rules=false`);
    assert.equal(await plain.page.evaluate(() => window.touchpointReady), true);
    await plain.page.evaluate(async () => { touchpoint.track('x'); touchpoint.endVisit(); touchpoint.track('y'); await touchpoint.flush(); });
    const ev2 = await allEvents((ev) => ev.some((e) => e.event === 'y'), 'y');
    const ve2 = ev2.find((e) => e.event === 'visit_end');
    assert.ok(ve2, 'visit_end without kiosk mode');
    assert.equal(ve2.context.kiosk, undefined);
    assert.notEqual(ev2.find((e) => e.event === 'y').anonymousId, ve2.anonymousId);
    await assertHealthy(plain.page);
    await plain.context.close();
  });

  test('endVisit() before init() is buffered in order and ends the first visitor once the core is ready', async () => {
    const { page, context, ready } = await open({ rules: 'false', early: '1' }, { clock: false });
    assert.equal(ready, true);
    await flush(page);
    const events = await allEvents((ev) => ev.some((e) => e.event === 'after_early'), 'after_early');
    const seen = events.map((e) => e.event || e.type);
    assert.deepEqual(seen, ['session_start', 'early_view', 'session_end', 'visit_end', 'session_start', 'after_early']);
    const [a, b] = [events[1].anonymousId, events[5].anonymousId];
    assert.notEqual(a, b);
    assert.equal(events[3].anonymousId, a);
    assert.equal(await page.evaluate(() => touchpoint.anonymousId()), b);
    await assertHealthy(page);
    await context.close();
  });

  test('invalid kiosk options reject init() with a clear error naming the field, never an abort', async () => {
    for (const [kiosk, message] of [
      [{ deviceId: 'd', storeId: 42 }, 'kiosk.storeId must be a string'],
      [{ deviceId: 'x'.repeat(300), storeId: 's' }, 'kiosk.deviceId is 300 bytes; the limit is 255'], // 100 KB: the doctest (a URL cannot carry it)
      [{ deviceId: 'd', storeId: 's', idleResetMs: 5 }, 'kiosk.idleResetMs must be an integer between 10000 and 86400000 (ms)'],
    ]) {
      const { page, context, ready } = await open({ rules: 'false' }, { clock: false, kiosk });
      assert.match(String(ready), new RegExp(message.replace(/[().]/g, '\\$&')));
      const errors = await page.evaluate(() => window.errors);
      assert.ok(errors.some((e) => e.code === 'init_failed' && e.message.includes(message)), JSON.stringify(errors));
      // The page keeps working: calls are buffered, nothing throws.
      await page.evaluate(() => { touchpoint.endVisit(); touchpoint.track('x'); });
      await assertHealthy(page);
      await context.close();
    }
  });
});

describe('kiosk: the example page (examples/kiosk/)', () => {
  test('a customer browses, signs up and taps "done"; the next one starts afresh', async () => {
    const { page, context } = await chrome.newPage();
    await page.goto(`${collector.url}/examples/kiosk/?device=screen-03&store=BJ-02&idle=60000`);
    await page.waitForFunction(() => document.getElementById('anon').textContent.length > 10, null, { timeout: 15000 });
    const first = await page.textContent('#anon');
    await page.click('.card[data-sku="K-101"]');
    await page.fill('#phone', '13800000000');
    await page.fill('#name', 'Li');
    await page.click('.signup button[type=submit]');
    await page.waitForSelector('#joined:not([hidden])');
    await page.click('#done');
    await page.waitForFunction((a) => document.getElementById('anon').textContent !== a, first, { timeout: 15000 });
    assert.equal(await page.textContent('#visitors'), '2');
    assert.equal(await page.isHidden('#joined'), true, 'the next customer does not see the last one\'s sign-up');
    await page.evaluate(() => import('/dist/touchpoint.mjs').then((m) => m.default.flush()));
    const events = await allEvents((ev) => ev.some((e) => e.event === 'visit_end'), 'visit_end from the example');
    const byName = (n) => events.filter((e) => (e.event || e.type) === n);
    assert.equal(byName('product_view')[0].properties.sku, 'K-101');
    assert.equal(byName('identify')[0].userId, 'member-13800000000');
    const [ve] = byName('visit_end');
    assert.equal(ve.properties.reason, 'api');
    assert.equal(ve.anonymousId, first);
    assert.equal(ve.userId, 'member-13800000000');
    for (const e of events) assert.deepEqual(e.context.kiosk, { deviceId: 'screen-03', storeId: 'BJ-02' });
    await assertHealthy(page);
    await context.close();
  });
});

describe('kiosk: a day in the store', () => {
  test('memory stays flat over a simulated day of 100,000 events (wasm heap and JS heap plateau)', { timeout: 180000 }, async () => {
    const started = Date.now();
    // Bigger batches than the defaults keep the collector's share of the runtime small; the SDK's
    // memory does not depend on the batch size beyond one batch.
    // Without rules: with the shop's score every product_view also sends tags_changed, doubling the
    // collector's work past the runtime budget; the rules' reset is the idle test's.
    const { page, context, ready } = await open({ rules: 'false', flushAt: '100', flushBytes: String(256 * 1024) });
    assert.equal(ready, true);
    const cdp = await context.newCDPSession(page);
    const CHUNK = 2000;
    const CHUNKS = 50;                      // 100,000 events
    const CHECKPOINT_EVERY = 5;             // 10,000 events
    const SLICE = (14 * HOUR) / CHUNKS;     // a 14-hour store day: idle resets, flush intervals, persistence
    const samples = [];
    const sample = async (events) => {
      // Retries (a request cut by the fake clock's jump past requestTimeoutMs) wait on the fake
      // clock: nudge it 2 s at a time, far below the 15 s request timeout, until the queue is empty.
      await waitFor(async () => {
        if (await page.evaluate(() => touchpoint.queueStats().queued === 0)) return true;
        await page.clock.runFor(2000);
        return false;
      }, { what: 'queue drained', timeoutMs: 30000 });
      await cdp.send('HeapProfiler.collectGarbage');
      const { usedSize } = await cdp.send('Runtime.getHeapUsage');
      const wasm = await page.evaluate(() => touchpoint.queueStats().wasmHeapBytes);
      samples.push({ events, js: usedSize, wasm });
    };
    await sample(0);
    for (let c = 0; c < CHUNKS; c++) {
      // A customer taps, browses CHUNK products, leaves; the screen idles until the next one.
      await page.evaluate(({ c, n }) => {
        document.dispatchEvent(new Event('pointerdown'));
        for (let i = 0; i < n; i++) touchpoint.track('product_view', { sku: `K-${i % 40}`, category: 'health', price: 129.5, seq: c * n + i });
      }, { c, n: CHUNK });
      await flush(page);
      await page.clock.runFor(SLICE);
      if ((c + 1) % CHECKPOINT_EVERY === 0) await sample((c + 1) * CHUNK);
    }
    const stats = await page.evaluate(() => touchpoint.queueStats());
    const visits = await page.evaluate(() => window.visitEnds.length);
    const received = (await collector.json('/v1/stats')).body;
    console.log(`kiosk memory: ${JSON.stringify(samples)}; ${visits} visits, collector ${received.events} events, ${Date.now() - started} ms`);
    assert.equal(visits, CHUNKS, 'every customer\'s visit ended by idle');
    assert.deepEqual(stats.dropped, {}, 'nothing dropped');
    assert.ok(received.events >= CHUNK * CHUNKS, `collector has ${received.events} events`);
    assert.equal(received.messageIds, received.events, 'no duplicate rows');
    // Plateau: over the second half of the day (50,000 events) the wasm memory does not grow at all
    // (it only ever grows, in 64 KiB pages: a bounded heap stops growing once warm), and the JS
    // heap grows by less than 256 KiB, about 5 B/event, a quarter of the ~20 B/event leak this test
    // is there to catch (measured: ~35 KB, under 1 B/event); a forced GC precedes every sample, so
    // what is left is live memory.
    const mid = samples.find((s) => s.events === (CHUNK * CHUNKS) / 2);
    const last = samples[samples.length - 1];
    assert.equal(last.wasm, mid.wasm, `wasm memory grew from ${mid.wasm} to ${last.wasm} bytes`);
    assert.ok(last.js - mid.js < 256 * 1024, `JS heap grew ${last.js - mid.js} bytes over the last 50,000 events`);
    await assertHealthy(page);
    await context.close();
  });

  test('offline for a simulated day with a nightly reload: every event is delivered after recovery', { timeout: 180000 }, async () => {
    await collector.fault({ status: 503 }); // the store's uplink is down (until reset)
    const tab = await open({ rules: 'false' });
    assert.equal(tab.ready, true);
    const { page, context } = tab;
    const PER_HOUR = 25;             // 600 events over the day (a backlog 12 h deep at the reload)
    let seq = 0;
    const hourOfCustomers = async () => {
      await page.evaluate(({ from, n }) => {
        document.dispatchEvent(new Event('pointerdown'));
        for (let i = 0; i < n; i++) touchpoint.track('product_view', { sku: `K-${i % 7}`, seq: from + i });
      }, { from: seq, n: PER_HOUR });
      seq += PER_HOUR;
      await page.clock.runFor(HOUR); // retries under backoff, an idle reset, persistence
    };
    for (let h = 0; h < 12; h++) await hourOfCustomers();
    const beforeReload = await page.evaluate(() => touchpoint.queueStats());
    assert.ok(beforeReload.queued >= 12 * PER_HOUR, `queued ${beforeReload.queued}`);
    // The nightly auto-reload, still offline.
    await page.reload();
    assert.equal(await page.evaluate(() => window.touchpointReady), true);
    // The new page adopts the stored records asynchronously (IndexedDB scan once it is the sender).
    await waitFor(() => page.evaluate((n) => touchpoint.queueStats().queued >= n, 12 * PER_HOUR), { what: 'the backlog survived the reload' });
    for (let h = 0; h < 12; h++) await hourOfCustomers();
    assert.equal((await collector.events('event=product_view')).length, 0, 'nothing got through the outage');
    // The uplink is back: the backoff (at most 5 min) elapses on the fake clock, deliveries are real.
    await collector.fault({ reset: true });
    const got = await waitFor(async () => {
      await page.clock.runFor(60000);
      const ev = await collector.events('event=product_view');
      return ev.length >= seq ? ev : null;
    }, { what: `${seq} product_view events`, timeoutMs: 90000, intervalMs: 200 });
    const seqs = got.map((e) => e.body.properties.seq).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: seq }, (_, i) => i), 'each event exactly once');
    assert.equal(new Set(got.map((e) => e.body.messageId)).size, seq);
    const visitEnds = await collector.events('event=visit_end');
    assert.equal(visitEnds.length, 24, 'one idle visit_end per hour of customers');
    await waitFor(async () => {
      if (await page.evaluate(() => touchpoint.queueStats().queued === 0)) return true;
      await page.clock.runFor(2000); // answers still in flight, or a retry waiting on the fake clock
      return false;
    }, { what: 'queue empty' });
    await assertHealthy(page);
    await context.close();
  });
});
