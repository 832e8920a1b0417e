// The simulator enforces the runtime's rules, and the mini-program pieces below the shell work
// inside them: chunked storage, the web-view URL, page/landing URLs, tap props.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import http from 'node:http';
import { FakeClock, MiniProgramSimulator, WxStorage, MAX_KEY_BYTES } from './simulator.mjs';
import { createChunkedStorage, CHUNK_CHARS } from '../../js/src/miniprogram/storage.js';
import { decorateWebviewUrl } from '../../js/src/miniprogram/webview.js';
import { landingUrl, pageUrl } from '../../js/src/miniprogram/pages.js';
import { datasetProps } from '../../js/src/miniprogram/autotrack.js';
import { createMiniProgramPlatform, MAX_REQUESTS } from '../../js/src/platform/miniprogram.js';

const tick = () => new Promise((r) => setImmediate(r));
const pkg = () => fs.mkdtempSync(path.join(os.tmpdir(), 'tp-mp-'));

function runtime(opts = {}) {
  const dir = opts.packageDir || pkg();
  const sim = new MiniProgramSimulator({ packageDir: dir, ...opts });
  return { sim, app: sim.runtime(), dir };
}

// A local server whose answers the test releases (a request stays open until then).
async function holdServer() {
  const held = [];
  const server = http.createServer((req, res) => { held.push(res); });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    held,
    release() { while (held.length) held.shift().end('ok'); },
    close: () => new Promise((r) => { for (const res of held) res.destroy(); server.closeAllConnections(); server.close(r); }),
  };
}

describe('the simulated runtime', () => {
  test('has no WebAssembly, fetch, TextDecoder, TextEncoder, performance, queueMicrotask, eval; Function only for "return this"', () => {
    const { app } = runtime();
    for (const g of ['WebAssembly', 'Proxy', 'fetch', 'TextDecoder', 'TextEncoder', 'performance', 'queueMicrotask', 'URL', 'crypto', 'window', 'document', 'eval'])
      assert.equal(app.eval(`typeof ${g}`), 'undefined', g);
    assert.throws(() => app.eval(`new Function('return 1')`), /not supported/);
    assert.throws(() => app.eval(`(function(){}).constructor('return 1')`), /not supported/);
    assert.throws(() => app.eval(`(async function(){}).constructor('return 1')`), /Code generation from strings disallowed/);
    assert.throws(() => app.eval(`globalThis['ev' + 'al'] ? 1 : Reflect.construct(Object.getPrototypeOf(function*(){}).constructor, ['yield 1'])`), /Code generation from strings disallowed/);
    assert.equal(app.eval(`new Function('return this')() === globalThis`), true);
    assert.equal(app.eval(`(() => {}) instanceof Function`), true);
  });

  test('promiseMacrotasks: Promise callbacks run as macrotasks (after native microtasks), in order; throws still reject', async () => {
    const { app } = runtime({ promiseMacrotasks: true });
    const order = await app.eval(`new Promise((resolve) => {
      const seen = [];
      const Native = (async () => {})().constructor;
      Promise.resolve().then(() => seen.push('then'));
      Native.resolve().then(() => seen.push('microtask'));
      seen.push('sync');
      const t = Promise.resolve(1).then((v) => { throw new Error('x' + v); }).catch((e) => seen.push(e.message));
      t.then(() => resolve(seen));
    })`);
    assert.deepEqual(JSON.parse(JSON.stringify(order)), ['sync', 'microtask', 'then', 'x1']);
  });

  test('WXWebAssembly.instantiate takes only .wasm/.wasm.br paths inside the package', async () => {
    const { app, dir } = runtime();
    // (module (func (export "answer") (result i32) i32.const 42))
    const wasm = Buffer.from('0061736d010000000105016000017f03020100070a0106616e737765720000' + '0a06010400412a0b', 'hex');
    fs.writeFileSync(path.join(dir, 'a.wasm'), wasm);
    fs.writeFileSync(path.join(dir, 'a.wasm.br'), (await import('node:zlib')).brotliCompressSync(wasm));
    const W = app.context.WXWebAssembly;
    assert.equal((await W.instantiate('/a.wasm', {})).instance.exports.answer(), 42);
    assert.equal((await W.instantiate('a.wasm.br', {})).instance.exports.answer(), 42);
    await assert.rejects(W.instantiate(wasm.buffer, {}), /must be a string/);
    await assert.rejects(W.instantiate('https://cdn.example.com/a.wasm', {}), /remote URLs/);
    await assert.rejects(W.instantiate('/a.js', {}), /does not end in \.wasm/);
    await assert.rejects(W.instantiate('/missing.wasm', {}), /no such file/);
  });

  test('wx storage: 1 MB per key, 10 MB in all, sync errors throw, async ones fail', async () => {
    const { app } = runtime();
    const wx = app.context.wx;
    assert.throws(() => wx.setStorageSync('big', 'x'.repeat(MAX_KEY_BYTES)), /entry size limit/);
    for (let i = 0; i < 10; i++) wx.setStorageSync('k' + i, 'y'.repeat(1000 * 1000));
    const err = await new Promise((resolve) => wx.setStorage({ key: 'more', data: 'z'.repeat(600 * 1000), success: () => resolve(null), fail: resolve }));
    assert.match(err.errMsg, /exceed storage max size/);
    assert.equal(wx.getStorageSync('missing'), '');
  });

  test('wx.request: at most 10 at once, timeout capped at 60 s, interrupted 5 s after hide', async () => {
    const server = await holdServer();
    try {
      const { sim, app } = runtime();
      const wx = app.context.wx;
      const results = [];
      for (let i = 0; i < 11; i++) wx.request({ url: server.url + '/x', success: (r) => results.push(r.statusCode), fail: (e) => results.push(e.errMsg) });
      await tick(); await tick();
      assert.deepEqual(results, ['request:fail exceed max task count']);
      assert.equal(sim.network.maxActive, 10);
      // 10 open: a 120 s timeout is 60 s.
      await sim.advance(59999);
      assert.equal(results.length, 1);
      await sim.advance(1);
      assert.equal(results.filter((r) => r === 'request:fail timeout').length, 10);
      // In the background, running requests fail after 5 s; new ones too.
      const late = [];
      wx.request({ url: server.url + '/y', timeout: 120000, success: (r) => late.push(r.statusCode), fail: (e) => late.push(e.errMsg) });
      await tick();
      await app.hide();
      await sim.advance(4999);
      assert.deepEqual(late, []);
      await sim.advance(1);
      assert.deepEqual(late, ['request:fail interrupted']);
      wx.request({ url: server.url + '/z', fail: (e) => late.push(e.errMsg) });
      await tick();
      assert.equal(late[1], 'request:fail interrupted');
    } finally { await server.close(); }
  });
});

describe('mini-program adapter', () => {
  test('sends at most MAX_REQUESTS at once; the rest wait instead of failing', async () => {
    const server = await holdServer();
    try {
      const { sim, app } = runtime();
      const platform = createMiniProgramPlatform(app.context.wx, {});
      const sends = [];
      for (let i = 0; i < 7; i++) sends.push(platform.send(server.url + '/v1/batch', new Uint8Array([1, 2, 3])));
      for (let i = 0; i < 20 && server.held.length < MAX_REQUESTS; i++) await tick();
      assert.equal(sim.network.active, MAX_REQUESTS);
      assert.deepEqual(platform.requestStats(), { running: MAX_REQUESTS, waiting: 7 - MAX_REQUESTS });
      for (let round = 0; round < 10 && sends.length; round++) { server.release(); for (let i = 0; i < 5; i++) await tick(); }
      const results = await Promise.all(sends);
      assert.deepEqual(results.map((r) => r.status), Array(7).fill(200));
      assert.equal(sim.network.maxActive, MAX_REQUESTS);
    } finally { await server.close(); }
  });
});

describe('mini-program adapter: event request timeout', () => {
  test('an event request times out after requestTimeoutMs (default 15 s) as a network error; rules keep 60 s', async () => {
    const server = await holdServer();
    try {
      const { sim, app } = runtime();
      const quick = createMiniProgramPlatform(app.context.wx, { requestTimeoutMs: 1500 });
      const standard = createMiniProgramPlatform(app.context.wx, {});
      const a = quick.send(server.url + '/v1/batch', new Uint8Array([1]));
      const b = standard.send(server.url + '/v1/batch', new Uint8Array([2]));
      const done = [];
      a.then(() => done.push('quick'));
      b.then(() => done.push('standard'));
      for (let i = 0; i < 20 && server.held.length < 2; i++) await tick();
      await sim.advance(1499);
      assert.deepEqual(done, []);
      await sim.advance(1);
      await tick();
      assert.deepEqual(done, ['quick']);
      assert.deepEqual(await a, { status: 0, retryAfterMs: 0, body: 'request:fail timeout' });
      await sim.advance(15000 - 1500);
      await tick();
      assert.deepEqual(done, ['quick', 'standard']);
      assert.equal((await b).status, 0);
    } finally { await server.close(); }
  });
});

describe('chunked storage', () => {
  const big = (n, seed = 'a') => Array.from({ length: n }, (_, i) => String.fromCharCode(0x4e00 + ((i * 7 + seed.charCodeAt(0)) % 2000))).join('');

  test('a 3 MB value of CJK text is stored in keys far below 1 MB and read back whole', async () => {
    const { sim, app } = runtime();
    const s = createChunkedStorage(app.context.wx);
    const value = big(1024 * 1024); // 1 Mi chars = 3 MB of UTF-8
    assert.equal(s.set('tp:k:state', value), null);
    const same = (a, b) => assert.ok(a === b, `read ${a === null ? 'null' : a.length + ' chars'}, expected ${b.length} chars`);
    same(s.get('tp:k:state'), value); // from memory at once
    await s.idle();
    assert.ok(sim.storage.stats.maxKeyBytes <= CHUNK_CHARS * 3 + 100, `largest key ${sim.storage.stats.maxKeyBytes} B`);
    assert.equal(sim.storage.stats.syncWrites, 0, 'writes are asynchronous');
    same(createChunkedStorage(app.context.wx).get('tp:k:state'), value); // a new reader (sync) sees it
    const pre = createChunkedStorage(app.context.wx);
    await pre.preload(['tp:k:state']);
    const reads = sim.storage.stats.syncReads;
    same(pre.get('tp:k:state'), value);
    assert.equal(sim.storage.stats.syncReads, reads, 'preloaded: no synchronous read');
  });

  test('a burst of sets costs one write per key; a shorter value removes the old chunks', async () => {
    const { sim, app } = runtime();
    const s = createChunkedStorage(app.context.wx);
    s.set('k', big(CHUNK_CHARS * 3));
    for (let i = 0; i < 50; i++) s.set('k', big(CHUNK_CHARS * 2 + i, 'b'));
    await s.idle();
    assert.ok(sim.storage.stats.asyncWrites <= 4 + 4, `${sim.storage.stats.asyncWrites} writes`);
    assert.ok(createChunkedStorage(app.context.wx).get('k') === big(CHUNK_CHARS * 2 + 49, 'b'), 'the last value is stored');
    s.set('k', 'small');
    await s.idle();
    assert.deepEqual(sim.storage.keys(), ['k']);
    s.remove('k');
    await s.idle();
    assert.deepEqual(sim.storage.keys(), []);
  });

  test('an app killed in the middle of a write keeps the previous value; the orphans are swept later', async () => {
    const storage = new WxStorage();
    const dir = pkg();
    const sim = new MiniProgramSimulator({ packageDir: dir, storage });
    let app = sim.runtime();
    let s = createChunkedStorage(app.context.wx);
    const v1 = big(CHUNK_CHARS * 2 + 5, 'c');
    s.set('k', v1);
    await s.idle();
    s.set('k', big(CHUNK_CHARS * 4, 'd'));
    for (let i = 0; i < 50 && storage.keys().length < 3 + 4; i++) await tick(); // chunks of the new generation...
    app.kill(); // ...but not its manifest
    app = sim.runtime();
    s = createChunkedStorage(app.context.wx);
    assert.ok(s.get('k') === v1, 'the previous value is read back whole');
    assert.ok(storage.keys().length > 4, 'orphan chunks of the killed write exist');
    s.set('k', big(CHUNK_CHARS + 1, 'e')); // the same generation as the killed write, fewer chunks
    await s.idle();
    assert.deepEqual(storage.keys().sort(), ['k', 'k#2.0', 'k#2.1'], 'the killed write left nothing behind');
    assert.ok(createChunkedStorage(app.context.wx).get('k') === big(CHUNK_CHARS + 1, 'e'));
  });

  test('a full storage keeps the previous value and reports it', async () => {
    const { sim, app } = runtime();
    const errors = [];
    const s = createChunkedStorage(app.context.wx, { onError: (m) => errors.push(m) });
    s.set('k', 'old');
    await s.idle();
    for (let i = 0; i < 9; i++) app.context.wx.setStorageSync('filler' + i, 'f'.repeat(1000 * 1000));
    s.set('k', big(CHUNK_CHARS * 8));
    await s.idle();
    assert.equal(errors.length, 1);
    assert.match(errors[0], /could not write k .*exceed storage max size/);
    assert.equal(createChunkedStorage(app.context.wx).get('k'), 'old');
    assert.match(s.set('k', 'new'), /could not write k/, 'the next set() returns the failure');
    assert.ok(!sim.storage.keys().some((k) => k.startsWith('k#')), 'no chunk of the failed write stays');
  });
});

describe('bridge and page URLs', () => {
  test('webviewUrl puts the visitor ids under the names the H5 core adopts', () => {
    const visit = { anonymousId: 'a-1', userId: 'u 2', externalIds: [{ id: 'oUpF8uMuAJO_M2pxb1Q9zNjWeS6o', type: 'wechat_openid' }, { id: 'wx0123456789abcdef', type: 'wechat_appid' }] };
    assert.equal(decorateWebviewUrl('https://m.shop.cn/h5/?a=1&tp_anon=old#/item?x=1', visit),
      'https://m.shop.cn/h5/?a=1&tp_anon=a-1&tp_uid=u%202&tp_openid=oUpF8uMuAJO_M2pxb1Q9zNjWeS6o&tp_appid=wx0123456789abcdef#/item?x=1');
    assert.equal(decorateWebviewUrl('https://m.shop.cn/', { anonymousId: 'a' }), 'https://m.shop.cn/?tp_anon=a');
  });

  test('page and landing URLs: the scene is the channel unless direct or named', () => {
    assert.equal(pageUrl('pages/detail/detail', { sku: 'A-1001', q: '%E4%B8%AD' }), '/pages/detail/detail?sku=A-1001&q=%E4%B8%AD');
    assert.equal(landingUrl('pages/list/list', { utm_source: 'poster' }, 1011), '/pages/list/list?utm_source=poster&tp_channel=wx-1011');
    assert.equal(landingUrl('pages/list/list', { tp_channel: 'store' }, 1011), '/pages/list/list?tp_channel=store');
    assert.equal(landingUrl('pages/list/list', {}, 1089), '/pages/list/list');
    assert.equal(landingUrl('pages/list/list', {}, 1007), '/pages/list/list?tp_channel=wx-1007');
  });

  test('data-tp-* dataset keys become the properties H5 sends', () => {
    assert.deepEqual(datasetProps({ tpEvent: 'add_to_cart', tpSku: 'A-1', tpOrderId: '9', sku: 'x', tpIgnore: '' }), { sku: 'A-1', order_id: '9' });
  });
});

describe('the mini-program build', () => {
  // Each package of a mini-program is limited to 2 MB (framework/subpackages.html); the SDK takes
  // at most an eighth of the main package. Sizes are deterministic, so this is a plain test.
  const BUDGET_BYTES = 256 * 1024;
  test(`dist/miniprogram/ (index.js + touchpoint.wasm.br) fits ${BUDGET_BYTES / 1024} KB of the 2 MB package`, async () => {
    const { MP_DIST } = await import('./support.mjs');
    const size = ['index.js', 'touchpoint.wasm.br'].reduce((n, f) => n + fs.statSync(path.join(MP_DIST, f)).size, 0);
    assert.ok(size <= BUDGET_BYTES, `${size} B`);
    const pkgJson = JSON.parse(fs.readFileSync(path.join(MP_DIST, 'package.json'), 'utf8'));
    assert.equal(pkgJson.main, 'index.js');
    for (const f of pkgJson.files) assert.ok(fs.existsSync(path.join(MP_DIST, f)), f);
  });
});

