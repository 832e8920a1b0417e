// The built SDK (dist/touchpoint.mjs + touchpoint.wasm) under Node 20, against the real collector.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT, startCollector, waitFor } from '../support/collector.mjs';

const DIST = process.env.TP_DIST || path.join(ROOT, 'dist');
const wasmBinary = fs.readFileSync(path.join(DIST, 'touchpoint.wasm'));
const sdk = await import(path.join(DIST, 'touchpoint.mjs'));
const { Touchpoint, createNodePlatform } = sdk;

function memoryStore(map = new Map()) {
  return { map, getItem: (k) => (map.has(k) ? map.get(k) : null), setItem: (k, v) => map.set(k, String(v)), removeItem: (k) => map.delete(k) };
}
function newClient(storage) {
  return new Touchpoint((o) => createNodePlatform({ storage: storage || o.storage }));
}

let collector;
before(async () => { collector = await startCollector(); });
after(async () => { if (collector) await collector.stop(); });

describe('dist/ in Node', () => {
  test('the default export is a ready-to-init singleton with the documented API', () => {
    const tp = sdk.default;
    for (const m of ['init', 'track', 'page', 'identify', 'reset', 'flush', 'on', 'off', 'tags', 'traits', 'scores', 'stage'])
      assert.equal(typeof tp[m], 'function', m);
  });

  test('init rejects missing options with a clear error', async () => {
    const tp = newClient();
    await assert.rejects(tp.init({ endpoint: collector.url, wasmBinary }), /writeKey/);
    const tp2 = newClient();
    await assert.rejects(tp2.init({ writeKey: 'k', endpoint: collector.url, wasmBinary, flushAt: 0 }), /flushAt/);
  });

  test('calls before init are buffered and replayed in order; events reach the collector', async () => {
    await collector.reset();
    const tp = newClient(memoryStore());
    tp.track('early_1', { n: 1 });
    tp.identify('user-7', { plan: 'pro' });
    tp.track('early_2', { n: 2 });
    await tp.init({ writeKey: 'node-test', endpoint: collector.url, wasmBinary, rules: false });
    assert.ok(await tp.flush());
    const all = await waitFor(async () => { const e = await collector.events(); return e.length >= 4 ? e : null; }, { what: '4 events' });
    const names = all.map((e) => e.body.event || e.body.type);
    assert.deepEqual(names, ['session_start', 'early_1', 'identify', 'early_2']);
    const events = all.slice(1);
    assert.equal(events[2].body.userId, 'user-7');
    assert.equal(events[0].body.userId, null);
    assert.equal(events[0].body.anonymousId, events[2].body.anonymousId);
  });

  test('visit() answers the session, campaign and ids without aborting the core', async () => {
    const tp = newClient(memoryStore());
    const errors = [];
    tp.on('error', (e) => errors.push(e));
    await tp.init({ writeKey: 'node-visit', endpoint: collector.url, wasmBinary, rules: false });
    tp.track('before_visit');
    await tp.flush();
    const v = tp.visit();
    assert.equal(v.anonymousId, tp.anonymousId());
    assert.ok(v.session && v.session.id, JSON.stringify(v));
    tp.track('after_visit');
    assert.ok(await tp.flush());
    assert.deepEqual(errors.map((e) => e.code), [], JSON.stringify(errors));
  });

  test('bad input is reported through on("error") and never throws into the caller', async () => {
    const tp = newClient(memoryStore());
    const errors = [];
    tp.on('error', (e) => errors.push(e));
    await tp.init({ writeKey: 'node-bad', endpoint: collector.url, wasmBinary, rules: false });
    const cyclic = {}; cyclic.self = cyclic;
    tp.track('x'.repeat(300));
    tp.track('cyclic', cyclic);
    tp.track('big_int', { n: 10n });
    tp.track('not_object', [1, 2, 3]);
    tp.track(undefined);
    tp.track('lone_surrogate', { s: 'a\ud800b' });
    tp.track('ok', { nan: NaN, inf: Infinity });
    await tp.flush();
    const codes = errors.map((e) => e.code);
    assert.ok(codes.includes('event_name_too_long'), codes.join());
    assert.ok(codes.includes('call_not_serialisable'));
    assert.ok(codes.includes('properties_not_object'));
    assert.ok(codes.includes('event_name_missing'));
    const tooLong = errors.find((e) => e.code === 'event_name_too_long');
    assert.equal(tooLong.field, '/event');
    const ev = await waitFor(async () => { const e = await collector.events('event=lone_surrogate'); return e.length ? e : null; });
    assert.equal(ev[0].body.properties.s, 'a\ufffdb');
    const ok = await waitFor(async () => { const e = await collector.events('event=ok'); return e.length ? e : null; });
    assert.equal(ok[0].body.properties.nan, null, 'NaN becomes null (JSON.stringify semantics)');
  });

  test('broken storage is reported, tracking goes on', async () => {
    const broken = { getItem() { throw new Error('boom'); }, setItem() { throw Object.assign(new Error('full'), { name: 'QuotaExceededError' }); }, removeItem() {} };
    const tp = newClient(broken);
    const errors = [];
    tp.on('error', (e) => errors.push(e));
    await tp.init({ writeKey: 'node-broken', endpoint: collector.url, wasmBinary, rules: false });
    tp.track('still_tracked');
    await tp.flush();
    assert.ok(errors.some((e) => e.code === 'storage_failed' && /QuotaExceededError/.test(e.message)));
    await waitFor(async () => (await collector.events('event=still_tracked')).length === 1, { what: 'event despite broken storage' });
  });

  test('a corrupt stored snapshot is reported and discarded', async () => {
    const store = memoryStore();
    store.setItem('tp:node-corrupt:state', 'TPS1\n{"queue": garbage\n');
    const tp = newClient(store);
    const errors = [];
    tp.on('error', (e) => errors.push(e));
    await tp.init({ writeKey: 'node-corrupt', endpoint: collector.url, wasmBinary, rules: false });
    assert.ok(errors.some((e) => e.code === 'snapshot_corrupt'));
    tp.track('after_corrupt');
    assert.ok(await tp.flush());
  });

  test('state survives a restart: a second client sends what the first could not', async () => {
    await collector.reset();
    const store = memoryStore();
    const first = newClient(store);
    await first.init({ writeKey: 'node-restart', endpoint: 'http://127.0.0.1:9', wasmBinary, rules: false, flushAt: 5 });
    for (let i = 0; i < 12; i++) first.track('restart_test', { i });
    await new Promise((r) => setTimeout(r, 0));
    // Each event is its own record (docs/storage.md), the small state holds none.
    assert.ok([...store.map].some(([k, v]) => k.startsWith('tp:node-restart:r:') && v.includes('restart_test')));
    assert.ok(!(store.getItem('tp:node-restart:core') || '').includes('restart_test'));
    const anon = first.anonymousId();
    const second = newClient(store);
    await second.init({ writeKey: 'node-restart', endpoint: collector.url, wasmBinary, rules: false, flushAt: 5 });
    assert.equal(second.anonymousId(), anon, 'identity restored');
    await second.flush();
    const events = await waitFor(async () => { const e = await collector.events('event=restart_test'); return e.length >= 12 ? e : null; }, { what: '12 restored events' });
    assert.equal(new Set(events.map((e) => e.body.properties.i)).size, 12);
  });

  test('a backend answering garbage or 400 is reported, not fatal', async () => {
    const http = await import('node:http');
    let mode = 'garbage';
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (mode === 'garbage') { res.writeHead(200); res.end('\u0000\u00ff not json'); } else { res.writeHead(400, { 'Content-Type': 'application/json' }); res.end('{"error":{"code":"bad","message":"nope"}}'); }
      });
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    try {
      const tp = newClient(memoryStore());
      const errors = [];
      tp.on('error', (e) => errors.push(e));
      await tp.init({ writeKey: 'node-garbage', endpoint: `http://127.0.0.1:${server.address().port}`, wasmBinary, rules: false });
      tp.track('g1');
      assert.ok(await tp.flush());
      assert.ok(errors.some((e) => e.code === 'delivery_unconfirmed'), JSON.stringify(errors));
      assert.ok(tp.queueStats().queued >= 1, 'a 2xx with a garbage body confirms nothing: kept for a retry');
      // acceptAny2xx (third-party backends): any 2xx is delivered
      const lenient = newClient(memoryStore());
      await lenient.init({ writeKey: 'node-garbage-any', endpoint: `http://127.0.0.1:${server.address().port}`, wasmBinary, rules: false, acceptAny2xx: true });
      lenient.track('g1');
      assert.ok(await lenient.flush());
      assert.equal(lenient.queueStats().queued, 0, 'acceptAny2xx: a 2xx counts as delivered even with a garbage body');
      mode = '400';
      tp.track('g2');
      await tp.flush();
      assert.ok(errors.some((e) => e.code === 'batch_rejected'), JSON.stringify(errors));
      assert.equal(tp.queueStats().dropped.rejected, 1);
    } finally { server.close(); }
  });
});
