// The shell never throws into the page, consent has one judge (the core), and an abort of the
// wasm core is survived: reported once, a fresh module, nothing queued lost (issue 8).
// Runs dist/ under Node with a fake in-memory platform and backend (no collector needed).
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from '../support/collector.mjs';

const DIST = process.env.TP_DIST || path.join(ROOT, 'dist');
const wasmBinary = fs.readFileSync(path.join(DIST, 'touchpoint.wasm'));
const { Touchpoint } = await import(path.join(DIST, 'touchpoint.mjs'));

// A platform whose backend acks every batch and records the events it got.
function fakePlatform(store = new Map()) {
  const received = [];
  const platform = {
    name: 'fake',
    store,
    received,
    storage: { get: (k) => (store.has(k) ? store.get(k) : null), set: (k, v) => { store.set(k, String(v)); return null; }, remove: (k) => { store.delete(k); } },
    now: () => Date.now(),
    randomSeed: () => 'seed',
    setTimer: (fn, ms) => { const t = setTimeout(fn, ms); t.unref(); return t; },
    clearTimer: (t) => clearTimeout(t),
    send: async (url, bytes) => {
      const raw = bytes[0] === 0x1f ? gunzipSync(bytes) : Buffer.from(bytes);
      const body = JSON.parse(raw.toString('utf8'));
      received.push(...body.batch);
      return { status: 200, retryAfterMs: 0, body: JSON.stringify({ accepted: body.batch.length, duplicates: 0, rejected: [] }) };
    },
    fetchRules: () => Promise.reject(new Error('no rules backend here')),
    onLifecycle() {},
    context: () => ({ locale: 'en' }),
    currentUrl: () => 'https://shop.example/',
  };
  return platform;
}

async function client(platform, opts = {}) {
  const tp = new Touchpoint(() => platform);
  const errors = [];
  tp.on('error', (e) => errors.push(e));
  await tp.init({ writeKey: 'rb', endpoint: 'https://c.example', wasmBinary, rules: false, autotrack: false, flushAt: 1, ...opts });
  return { tp, errors };
}

const until = async (what, cond) => {
  for (let i = 0; i < 500; i++) { if (cond()) return; await new Promise((r) => setTimeout(r, 10)); }
  assert.fail(`timed out waiting for ${what}`);
};
const names = (events) => events.filter((e) => e.type === 'track' && e.event !== 'session_start').map((e) => e.event);

describe('no call throws into the caller', () => {
  test('BigInt, cyclic, throwing toJSON/toString names and properties are reported, never thrown', async () => {
    const { tp, errors } = await client(fakePlatform());
    const cyc = {}; cyc.self = cyc;
    const badJSON = { toJSON() { throw new Error('no'); } };
    const badString = { toString() { throw new Error('no'); } };
    const hostile = [BigInt(1), cyc, badJSON];
    for (const v of hostile) {
      assert.doesNotThrow(() => tp.track(v, {}));
      assert.doesNotThrow(() => tp.track('ok', { v }));
      assert.doesNotThrow(() => tp.page('p', { v }));
      assert.doesNotThrow(() => tp.identify('u', { v }));
      assert.doesNotThrow(() => tp.register({ v }));
    }
    assert.doesNotThrow(() => tp.unregister(badString));
    assert.doesNotThrow(() => tp.setExternalId(badString, badString));
    assert.doesNotThrow(() => tp.consent(badString));
    assert.doesNotThrow(() => tp.stage(badString));
    assert.equal(errors.filter((e) => e.code === 'call_not_serialisable').length, hostile.length * 5);
  });

  test('shareUrl(url, null) and other non-object options return a string', async () => {
    const { tp, errors } = await client(fakePlatform());
    for (const options of [null, 5, 'x', undefined, { channel: 7 }]) assert.equal(typeof tp.shareUrl('https://shop.example/p', options), 'string');
    const bad = { toString() { throw new Error('no'); } };
    assert.equal(tp.shareUrl(bad, null), bad);
    assert.ok(errors.some((e) => e.code === 'share_url_invalid'));
    assert.ok(!errors.some((e) => e.code === 'core_failed'));
  });
});

describe('consent: the core is the one judge', () => {
  test("consent('yes') is rejected, reported and never stored; consent('denied') is stored", async () => {
    const p = fakePlatform();
    const { tp, errors } = await client(p);
    tp.consent('yes');
    await tp.flush();
    assert.ok(errors.some((e) => e.code === 'consent_invalid'), JSON.stringify(errors));
    assert.equal(p.store.get('tp:rb:consent'), undefined);
    tp.consent('denied');
    await tp.flush();
    assert.equal(p.store.get('tp:rb:consent'), 'denied');
    assert.equal(tp.queueStats().consent, 'denied');
  });

  test('a stored invalid consent never makes init() fail: reported, ignored, removed', async () => {
    const p = fakePlatform(new Map([['tp:rb:consent', 'yes']]));
    const { tp, errors } = await client(p);
    assert.ok(errors.some((e) => e.code === 'consent_invalid'));
    assert.equal(tp.queueStats().consent, 'granted');
    assert.equal(p.store.has('tp:rb:consent'), false);
    // The page's option is the next candidate.
    const p2 = fakePlatform(new Map([['tp:rb:consent', 'GRANTED']]));
    const c2 = await client(p2, { consent: 'pending' });
    assert.equal(c2.tp.queueStats().consent, 'pending');
  });

  test('an early consent() before init() is judged by the core too', async () => {
    const p = fakePlatform();
    const tp = new Touchpoint(() => p);
    const errors = [];
    tp.on('error', (e) => errors.push(e));
    tp.consent('maybe');
    await tp.init({ writeKey: 'rb', endpoint: 'https://c.example', wasmBinary, rules: false, autotrack: false });
    assert.ok(errors.some((e) => e.code === 'consent_invalid'));
    assert.equal(p.store.has('tp:rb:consent'), false);
    const p2 = fakePlatform();
    const tp2 = new Touchpoint(() => p2);
    tp2.consent('pending');
    await tp2.init({ writeKey: 'rb', endpoint: 'https://c.example', wasmBinary, rules: false, autotrack: false });
    assert.equal(p2.store.get('tp:rb:consent'), 'pending');
    assert.equal(tp2.queueStats().consent, 'pending');
  });
});

// An abort is simulated by making the engine's module throw what Emscripten throws after abort().
function abortOnce(engine, method) {
  const inner = engine._inner;
  const original = inner[method].bind(inner);
  let fired = false;
  inner[method] = (...args) => {
    if (!fired) { fired = true; throw new WebAssembly.RuntimeError('Aborted(). Build with -s ASSERTIONS=1 for more info.'); }
    return original(...args);
  };
}

describe('after a wasm abort the SDK recovers', () => {
  test('core_failed once, naming the call; a fresh module; every queued and recorded event delivered once', async () => {
    const p = fakePlatform();
    const { tp, errors } = await client(p, { flushAt: 20 });
    tp.track('before_1');
    tp.track('before_2');
    await tp.flush();
    tp.track('queued_1'); // persisted, not yet sent
    tp._drain();
    const oldInner = tp._engine._inner;
    abortOnce(tp._engine, 'ingest');
    tp.track('aborted_1'); // the drain carrying these aborts
    tp.track('aborted_2');
    tp._drain();
    tp.track('during_1'); // recorded while the core is down
    assert.doesNotThrow(() => tp.visit());
    await until('recovery', () => !tp._engine.dead);
    assert.notEqual(tp._engine._inner, oldInner, 'a new engine instance');
    tp.track('after_1');
    assert.ok(await tp.flush());
    const failed = errors.filter((e) => e.code === 'core_failed');
    assert.equal(failed.length, 1, JSON.stringify(errors));
    assert.match(failed[0].message, /ingest \(2 calls: track "aborted_1", track "aborted_2"\)/);
    const got = names(p.received);
    for (const n of ['before_1', 'before_2', 'queued_1', 'aborted_1', 'aborted_2', 'during_1', 'after_1'])
      assert.equal(got.filter((x) => x === n).length >= 1, true, `${n} delivered (${got})`);
    const ids = new Map();
    for (const e of p.received) ids.set(e.messageId, e);
    assert.deepEqual(names([...ids.values()]).sort(), ['aborted_1', 'aborted_2', 'after_1', 'before_1', 'before_2', 'during_1', 'queued_1'].sort(),
      'each event once (by messageId)');
  });

  test('a call that aborts the core every time is dropped and reported; the others survive', async () => {
    const p = fakePlatform();
    const { tp, errors } = await client(p, { flushAt: 20 });
    const poison = (engineLike) => {
      const inner = engineLike._inner;
      const original = inner.ingest.bind(inner);
      inner.ingest = (input, now) => { if (input.includes('poison')) throw new WebAssembly.RuntimeError('Aborted()'); return original(input, now); };
    };
    poison(tp._engine);
    // Every fresh module gets the same defect.
    const reload = tp._engine._hooks.reload;
    tp._engine._hooks.reload = async () => {
      const core = await reload();
      const Engine = core.Engine;
      return { Engine: function PoisonedEngine(config) { const e = new Engine(config); const o = e.ingest.bind(e); e.ingest = (i, n) => { if (i.includes('poison')) throw new WebAssembly.RuntimeError('Aborted()'); return o(i, n); }; return e; } };
    };
    tp.track('good_1');
    tp.track('poison');
    tp.track('good_2');
    tp._drain();
    await until('recovery', () => !tp._engine.dead);
    assert.ok(await tp.flush());
    assert.equal(errors.filter((e) => e.code === 'core_failed').length, 1, JSON.stringify(errors)); // the replay's abort is the drop
    assert.equal(errors.filter((e) => e.code === 'call_dropped').length, 1);
    assert.deepEqual(names(p.received).sort(), ['good_1', 'good_2']);
  });

  test('an answer for a batch the dead engine sent is ignored by the new one', async () => {
    const p = fakePlatform();
    let release;
    const gate = new Promise((r) => { release = r; });
    const send = p.send;
    p.send = async (url, bytes) => { await gate; return send(url, bytes); };
    const { tp, errors } = await client(p, { flushAt: 1 });
    tp.track('in_flight');
    tp._drain();
    abortOnce(tp._engine, 'resume');
    tp._onLifecycle('online'); // resume (back online) aborts
    await until('recovery', () => !tp._engine.dead);
    release();
    assert.ok(await tp.flush());
    await until('delivery', () => names(p.received).includes('in_flight'));
    assert.equal(errors.filter((e) => e.code === 'core_failed').length, 1);
    assert.ok(!errors.some((e) => e.code === 'core_answer_invalid'));
  });
});
