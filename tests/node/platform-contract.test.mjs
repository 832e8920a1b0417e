// The platform contract (js/src/platform/contract.js) is all the shell uses: the built SDK
// (dist/touchpoint.mjs) runs on a fake platform whose every member is counted and whose clock is
// fake, while Date.now and globalThis.fetch are throwing stubs. A platform missing a required
// member is rejected by init() with an error naming it.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { ROOT } from '../support/collector.mjs';

const DIST = process.env.TP_DIST || path.join(ROOT, 'dist');
const wasmBinary = fs.readFileSync(path.join(DIST, 'touchpoint.wasm'));
const { Touchpoint, declarePlatform } = await import(path.join(DIST, 'touchpoint.mjs'));

const START = Date.UTC(2031, 4, 6, 7, 8, 9, 123); // far from the real clock: a real timestamp shows
const iso = (ms) => new Date(ms).toISOString();
const OPTS = { writeKey: 'contract', endpoint: 'https://collector.invalid', wasmBinary, autotrack: false };

// A fake platform: every member counted in `calls`, a clock and timers moved by the test only,
// a backend that acknowledges every batch.
function fakePlatform() {
  const calls = {};
  const counted = (name, fn) => (...args) => { calls[name] = (calls[name] || 0) + 1; return fn(...args); };
  const world = { now: START, timers: new Map(), nextTimer: 1, store: new Map(), batches: [], unloadBatches: [], lifecycle: null, calls };
  const storage = {
    get: counted('storage.get', (k) => (world.store.has(k) ? world.store.get(k) : null)),
    set: counted('storage.set', (k, v) => { world.store.set(k, String(v)); return null; }),
    remove: counted('storage.remove', (k) => { world.store.delete(k); }),
  };
  const ack = (into) => (url, bytes) => {
    const raw = bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : Buffer.from(bytes);
    const body = JSON.parse(raw.toString('utf8'));
    into.push({ ...body, sentWhen: world.now });
    return Promise.resolve({ status: 200, retryAfterMs: 0, body: JSON.stringify({ accepted: body.batch.length, duplicates: 0, rejected: [] }) });
  };
  const members = {
    name: 'fake',
    storage,
    now: () => world.now,
    randomSeed: () => 'ab'.repeat(32),
    setTimer: (fn, ms) => { const h = world.nextTimer++; world.timers.set(h, { due: world.now + Math.max(0, Number(ms) || 0), fn }); return h; },
    clearTimer: (h) => { world.timers.delete(h); },
    send: ack(world.batches),
    fetchRules: () => Promise.resolve({ status: 404, etag: '', body: '' }),
    onLifecycle: (handler) => { world.lifecycle = handler; },
    context: () => ({ locale: 'en-GB', page: { url: 'fake://home', path: '/home', referrer: '', title: 'Home' } }),
    currentUrl: () => 'fake://home',
    sessionStorage: null,
    openRecords: null, // the default: records in `storage`
    electSender: (name, tabId, onAcquired) => { onAcquired(); return { release() {} }; },
    openChannel: () => ({ post() {}, onMessage() {} }),
    sendOnUnload: ack(world.unloadBatches),
    onNavigationStart: () => {},
    replaceUrl: () => false,
    readCookie: () => null,
    writeCookie: () => {},
    ready: () => Promise.resolve(),
    onStorageError: () => {},
  };
  const platform = {};
  for (const [k, v] of Object.entries(members)) platform[k] = typeof v === 'function' ? counted(k, v) : v;
  // Moves the fake clock and runs the timers that came due (bounded: a timer re-arming at 0 ms
  // cannot spin forever).
  world.advance = (ms) => {
    world.now += ms;
    for (let round = 0; round < 100; round++) {
      const due = [...world.timers].filter(([, t]) => t.due <= world.now).sort((a, b) => a[1].due - b[1].due);
      if (!due.length) return;
      for (const [h, t] of due) { world.timers.delete(h); t.fn(); }
    }
  };
  return { platform, world };
}

// Date.now and fetch throw while fn runs, and every call of them is counted (a throw the SDK
// swallows still shows).
async function withoutSystemClockAndFetch(fn) {
  const realNow = Date.now;
  const realFetch = globalThis.fetch;
  const used = { 'Date.now': 0, fetch: 0 };
  Date.now = () => { used['Date.now']++; throw new Error('Date.now() called: time must come from platform.now()'); };
  globalThis.fetch = () => { used.fetch++; throw new Error('fetch() called: requests must go through the platform'); };
  try {
    await fn();
  } finally {
    Date.now = realNow;
    globalThis.fetch = realFetch;
  }
  return used;
}

const events = (batches) => batches.flatMap((b) => b.batch);
const nameOf = (e) => e.event || e.type;

describe('the platform contract', () => {
  test('the shell runs on the contract alone: fake clock timestamps, no Date.now, no fetch', async () => {
    const { platform, world } = fakePlatform();
    const errors = [];
    let sent;
    let unloaded;
    const used = await withoutSystemClockAndFetch(async () => {
      const tp = new Touchpoint(() => platform, {}, { now: () => world.now });
      tp.on('error', (e) => errors.push(e));
      tp.track('before_init', { n: 0 });                 // stamped START by the pre-init clock
      world.advance(1000);
      await tp.init(OPTS);
      world.advance(5000);
      tp.track('after_init', { n: 1 });                  // START + 6000
      world.advance(250);
      tp.page('home');                                    // START + 6250
      world.advance(250);
      tp.identify('user-1', { plan: 'pro' });             // START + 6500
      assert.equal(await tp.flush(), true);
      sent = events(world.batches);
      world.advance(2000);
      tp.track('at_unload');                              // START + 8500
      world.lifecycle('pagehide');                        // the unload sends through sendOnUnload
      for (let i = 0; i < 50 && !world.unloadBatches.length; i++) await new Promise((r) => setImmediate(r));
      unloaded = events(world.unloadBatches);
      world.advance(10 * 60 * 1000);                      // the rules refresh timer comes due
      for (let i = 0; i < 20 && (world.calls.fetchRules || 0) < 2; i++) await new Promise((r) => setImmediate(r));
    });
    assert.deepEqual(used, { 'Date.now': 0, fetch: 0 }, 'the shell called the system clock or fetch itself');
    assert.deepEqual(errors, []);

    const at = Object.fromEntries(sent.map((e) => [nameOf(e), e.timestamp]));
    assert.deepEqual(sent.map(nameOf), ['session_start', 'before_init', 'after_init', 'page', 'identify']);
    assert.equal(at.before_init, iso(START));
    assert.equal(at.after_init, iso(START + 6000));
    assert.equal(at.page, iso(START + 6250));
    assert.equal(at.identify, iso(START + 6500));
    for (const b of [...world.batches, ...world.unloadBatches]) assert.equal(b.sentAt, iso(b.sentWhen), 'sentAt is platform.now() when sent');
    assert.deepEqual(unloaded.map(nameOf), ['at_unload']);
    assert.equal(unloaded[0].timestamp, iso(START + 8500));
    assert.equal(sent[2].context.locale, 'en-GB', 'the context is platform.context()');

    // What the shell used, through the contract only.
    const c = world.calls;
    for (const m of ['now', 'randomSeed', 'setTimer', 'send', 'fetchRules', 'onLifecycle', 'context', 'currentUrl',
      'storage.get', 'storage.set', 'electSender', 'openChannel', 'sendOnUnload', 'onNavigationStart', 'readCookie',
      'writeCookie', 'ready'])
      assert.ok(c[m] > 0, `platform.${m} was never called (calls: ${JSON.stringify(c)})`);
    assert.equal(c.fetchRules, 2, 'rules are fetched at init and again when the refresh timer fires');
  });

  test('a platform missing a required member is rejected by init() with an error naming it', async () => {
    for (const [member, shape] of [['now', 'a function'], ['send', 'a function'], ['fetchRules', 'a function'], ['storage', '{get, set, remove}']]) {
      const { platform } = fakePlatform();
      delete platform[member];
      const tp = new Touchpoint(() => platform);
      const errors = [];
      tp.on('error', (e) => errors.push(e));
      await assert.rejects(tp.init(OPTS), (err) => err.message === `touchpoint.init: the platform adapter "fake" needs ${member} (${shape})`, member);
      assert.equal(errors.length, 1);
      assert.equal(errors[0].code, 'init_failed');
      assert.match(errors[0].message, new RegExp(`needs ${member} `));
    }
    const { platform } = fakePlatform();
    delete platform.now;
    platform.clearTimer = 5;
    platform.storage = { get() {}, set() {} };
    await assert.rejects(new Touchpoint(() => platform).init(OPTS), /needs storage \(\{get, set, remove\}\), now \(a function\), clearTimer \(a function\)$/);
    await assert.rejects(new Touchpoint(() => null).init(OPTS), /"undefined" needs name \(a string\), storage \(\{get, set, remove\}\), now \(a function\), randomSeed/);
    const wrongKind = fakePlatform().platform;
    wrongKind.sendOnUnload = 'yes';
    await assert.rejects(new Touchpoint(() => wrongKind).init(OPTS), /"fake" needs sendOnUnload \(a function\)$/);
  });

  test('declarePlatform fills every optional member with its documented default', async () => {
    const { platform, world } = fakePlatform();
    for (const m of ['sessionStorage', 'openRecords', 'electSender', 'openChannel', 'sendOnUnload', 'onNavigationStart',
      'replaceUrl', 'readCookie', 'writeCookie', 'ready', 'onStorageError']) delete platform[m];
    const p = declarePlatform(platform);
    assert.equal(p.sessionStorage, null);
    assert.equal(p.electSender, null);
    assert.equal(p.openChannel('x'), null);
    assert.equal(p.replaceUrl('fake://x'), false);
    assert.equal(p.readCookie('tp_anon'), null);
    assert.equal(p.writeCookie('tp_anon', 'a', { maxAgeS: 1 }), undefined);
    assert.equal(p.onNavigationStart(() => assert.fail('fired')), undefined);
    assert.equal(p.onStorageError(() => assert.fail('fired')), undefined);
    await p.ready();
    const { store, problems } = await p.openRecords({ writeKey: 'k' });
    assert.deepEqual(problems, []);
    assert.equal(typeof store.put, 'function');
    // sendOnUnload defaults to send().
    const res = await p.sendOnUnload('u', Buffer.from(JSON.stringify({ batch: [] })), true);
    assert.equal(res.status, 200);
    assert.equal(world.calls.send, 1);
    assert.equal(p.now, platform.now, 'required members are the adapter\'s own');
  });
});
