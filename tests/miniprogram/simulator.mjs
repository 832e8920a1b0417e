// A WeChat mini-program runtime in Node, written from the runtime's rules (issue 11;
// /work/shared/PLATFORMS.md "WeChat mini-program runtime"; developers.weixin.qq.com docs):
// - the app's code runs in a vm context with no WebAssembly, fetch, TextDecoder/TextEncoder,
//   performance, queueMicrotask, URL, crypto, Proxy, window or document; eval and code generation from
//   strings are off, and the `Function` constructor throws except for `new Function('return this')`;
// - WXWebAssembly.instantiate(path, imports) takes only a path inside the code package ending
//   .wasm or .wasm.br (brotli); the module is compiled by the host's real WebAssembly;
// - wx.request: 10 concurrent requests at most (the 11th fails), timeout capped at 60 s, requests
//   still running 5 s after the app goes to the background fail ("interrupted"); a fake clock
//   drives every timer and timeout;
// - wx.*Storage* (sync and async): 1 MB per key, 10 MB in all, errors as the runtime reports them;
//   storage outlives the app (kill() and launch() again keep it);
// - optionally (promiseMacrotasks) Promise callbacks as macrotasks, like iOS <= 15 clients;
// - App, Page, Component, getApp, getCurrentPages, and drivers for launch (scene, path, query),
//   show/hide, navigation, taps on WXML elements (dataset from data-* attributes) and shares.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import vm from 'node:vm';
import zlib from 'node:zlib';
import { randomBytes } from 'node:crypto';

export const MAX_CONCURRENT_REQUESTS = 10;   // wx.request + uploadFile + downloadFile
export const MAX_REQUEST_TIMEOUT_MS = 60000; // default and maximum
export const BACKGROUND_NETWORK_MS = 5000;   // requests fail this long after the app hides
export const MAX_KEY_BYTES = 1024 * 1024;    // wx.setStorage: one key
export const MAX_STORAGE_BYTES = 10 * 1024 * 1024; // all keys

const utf8 = (s) => Buffer.byteLength(s, 'utf8');
const tick = () => new Promise((r) => setImmediate(r));

// ---- fake clock -----------------------------------------------------------------------------
export class FakeClock {
  constructor(start = Date.now()) { this.t = start; this.timers = new Map(); this.seq = 0; }
  now() { return this.t; }
  setTimeout(fn, ms, owner) {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + Math.max(0, Number(ms) || 0), fn, owner, seq: id });
    return id;
  }
  clearTimeout(id) { this.timers.delete(id); }
  dropOwner(owner) { for (const [id, t] of this.timers) if (t.owner === owner) this.timers.delete(id); }
  // Moves time forward, running every timer that falls due in order; the host event loop turns
  // between timers so promise chains and real I/O answers run as they would.
  async advance(ms) {
    const end = this.t + ms;
    for (let guard = 0; guard < 100000; guard++) {
      let next = null;
      for (const t of this.timers.values()) if (t.at <= end && (!next || t.at < next.at || (t.at === next.at && t.seq < next.seq))) next = t;
      if (!next) break;
      this.timers.delete(next.seq);
      this.t = Math.max(this.t, next.at);
      try { next.fn(); } catch (e) { if (next.owner && next.owner.onError) next.owner.onError(e); }
      await tick();
    }
    this.t = end;
    await tick();
  }
}

// ---- storage (outlives app instances) --------------------------------------------------------
export class WxStorage {
  constructor() { this.map = new Map(); this.stats = { syncReads: 0, syncWrites: 0, asyncWrites: 0, maxKeyBytes: 0, failures: [] }; }
  bytes() { let n = 0; for (const [k, v] of this.map) n += utf8(k) + utf8(v); return n; }
  // Returns an errMsg or null; values are stored as JSON text (the runtime requires JSON-serialisable data).
  set(key, data, api) {
    if (typeof key !== 'string' || key === '') return `${api}:fail parameter error: parameter.key should be String`;
    let text;
    try { text = JSON.stringify(data === undefined ? null : data); } catch (e) { return `${api}:fail data not serializable`; }
    const size = utf8(key) + utf8(text);
    if (size > MAX_KEY_BYTES) { this.stats.failures.push({ key, size }); return `${api}:fail entry size limit reached`; }
    const old = this.map.has(key) ? utf8(key) + utf8(this.map.get(key)) : 0;
    if (this.bytes() - old + size > MAX_STORAGE_BYTES) { this.stats.failures.push({ key, size, total: true }); return `${api}:fail exceed storage max size 10MB`; }
    this.map.set(key, text);
    this.stats.maxKeyBytes = Math.max(this.stats.maxKeyBytes, size);
    return null;
  }
  get(key, JSONimpl) { return this.map.has(key) ? JSONimpl.parse(this.map.get(key)) : undefined; }
  keys() { return [...this.map.keys()]; }
}

// ---- a tiny WXML reader for taps --------------------------------------------------------------
// Finds the element with id="…" and returns {bindtap, catchtap, dataset} with {{path}} filled in
// from the page's data. Enough for the example's markup (no wx:for).
function readElement(wxml, id, data) {
  const re = /<([a-z-]+)\b([^>]*)>/g;
  for (let m; (m = re.exec(wxml));) {
    const attrs = {};
    for (const a of m[2].matchAll(/([\w:-]+)\s*=\s*"([^"]*)"/g)) attrs[a[1]] = a[2];
    if (attrs.id !== id) continue;
    const fill = (v) => v.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, p) => {
      let cur = data;
      for (const k of p.split('.')) cur = cur == null ? undefined : cur[k];
      return cur == null ? '' : String(cur);
    });
    const dataset = {};
    for (const [k, v] of Object.entries(attrs))
      if (k.startsWith('data-')) dataset[k.slice(5).replace(/-([a-z])/g, (_, c) => c.toUpperCase())] = fill(v);
    return { tag: m[1], id, handler: attrs.bindtap || attrs.catchtap || null, openType: attrs['open-type'] || null, dataset };
  }
  return null;
}

function parseQuery(q) {
  const out = {};
  for (const seg of (q || '').split('&')) {
    if (!seg) continue;
    const i = seg.indexOf('=');
    out[i < 0 ? seg : seg.slice(0, i)] = i < 0 ? '' : seg.slice(i + 1); // raw, as WeChat hands them
  }
  return out;
}

function splitUrl(url) {
  const s = String(url);
  const q = s.indexOf('?');
  const route = (q < 0 ? s : s.slice(0, q)).replace(/^\//, '');
  return { route, query: parseQuery(q < 0 ? '' : s.slice(q + 1)) };
}

// ---- the simulator ----------------------------------------------------------------------------
// options: packageDir (the mini-program: app.js, app.json, pages/…), mounts ({'/miniprogram_npm/x':
// dir}), clock, storage, extConfig (wx.getExtConfigSync), systemInfo, log (host console for the app).
export class MiniProgramSimulator {
  constructor({ packageDir, mounts = {}, clock = new FakeClock(), storage = new WxStorage(), extConfig = {}, systemInfo = {}, log = false, promiseMacrotasks = false }) {
    this.promiseMacrotasks = promiseMacrotasks;
    this.packageDir = path.resolve(packageDir);
    this.mounts = Object.entries(mounts).map(([k, v]) => [k.replace(/\/+$/, ''), path.resolve(v)]);
    this.clock = clock;
    this.storage = storage;
    this.extConfig = extConfig;
    this.systemInfo = { platform: 'ios', system: 'iOS 15.0', model: 'iPhone 13', brand: 'Apple', language: 'zh_CN', version: '8.0.40',
      SDKVersion: '2.32.3', screenWidth: 390, screenHeight: 844, pixelRatio: 3, ...systemInfo };
    this.log = log;
    this.network = { offline: false, active: 0, maxActive: 0, requests: [], rejected: [] };
    this.app = null;
  }

  // Where a package path lives on disk (mounts first), or null when it is outside the package.
  resolvePackagePath(p) {
    const abs = path.posix.normalize('/' + String(p).replace(/^\/+/, ''));
    if (abs.split('/').includes('..')) return null;
    for (const [prefix, dir] of this.mounts)
      if (abs === prefix || abs.startsWith(prefix + '/')) return path.join(dir, abs.slice(prefix.length));
    return path.join(this.packageDir, abs);
  }

  // Starts the app: app.js, every page of app.json registered, onLaunch/onShow, the first page.
  // A path with a query (a share card's path) splits into path and query, as the runtime hands them.
  async launch({ scene = 1001, path: launchPath, query, referrerInfo = {} } = {}) {
    if (this.app && !this.app.dead) throw new Error('launch(): the app is running; kill() it first');
    const appJson = JSON.parse(fs.readFileSync(path.join(this.packageDir, 'app.json'), 'utf8'));
    const first = launchPath ? splitUrl(launchPath).route : appJson.pages[0];
    if (query === undefined) query = launchPath ? splitUrl(launchPath).query : {};
    const app = new AppInstance(this, appJson);
    this.app = app;
    const opts = { scene, path: first, query: { ...query }, referrerInfo, shareTicket: undefined };
    app.launchOptions = opts; // wx.getLaunchOptionsSync() works while app.js runs
    app.loadApp();
    app.callApp('onLaunch', opts);
    app.showApp(opts);
    app.openPage(first, query);
    await tick();
    return app;
  }

  // A bare runtime (sandbox, wx, WXWebAssembly) without an app, for lower-layer tests.
  runtime() { const a = new AppInstance(this, { pages: [] }); this.app = a; return a; }

  async advance(ms) { await this.clock.advance(ms); }
}

class AppInstance {
  constructor(sim, appJson) {
    this.sim = sim;
    this.appJson = appJson;
    this.dead = false;
    this.background = false;
    this.hiddenAt = null;
    this.pageDefs = new Map();   // route -> {kind:'page'|'component', options}
    this.stack = [];             // page instances
    this.appOptions = null;
    this.listeners = { show: [], hide: [], network: [] };
    this.inflight = new Set();
    this.modules = new Map();
    this.errors = [];
    this.onError = (e) => this.errors.push(e);
    this.context = this.makeContext();
  }

  // ---- the JS environment --------------------------------------------------------------------
  makeContext() {
    const sim = this.sim;
    const self = this;
    const sandbox = {};
    const ctx = vm.createContext(sandbox, { name: 'mini-program', codeGeneration: { strings: false, wasm: false } });
    this.realm = vm.runInContext('({ JSON, ArrayBuffer, Uint8Array })', ctx); // the app's own intrinsics
    // What a vm context has and the runtime does not.
    // (Proxy is missing on some old clients: the SDK must not need it.)
    vm.runInContext(`delete globalThis.WebAssembly; delete globalThis.eval; delete globalThis.Proxy;`, ctx);
    // iOS <= 15 clients: Promise is a polyfill whose callbacks run as macrotasks.
    if (sim.promiseMacrotasks) vm.runInContext(`((later) => {
      const P = Promise;
      const run = (fn, v, res, rej) => later(() => { try { res(fn(v)); } catch (e) { rej(e); } });
      class MacrotaskPromise extends P {
        then(onFulfilled, onRejected) {
          return super.then(
            typeof onFulfilled === 'function' ? (v) => new P((res, rej) => run(onFulfilled, v, res, rej)) : onFulfilled,
            typeof onRejected === 'function' ? (e) => new P((res, rej) => run(onRejected, e, res, rej)) : onRejected);
        }
      }
      globalThis.Promise = MacrotaskPromise;
    })`, ctx)((fn) => setImmediate(() => { if (!self.dead) fn(); }));
    // Function: code generation is off (EvalError); `new Function('return this')` gives the global,
    // as the runtime allows it for old UMD bundles.
    vm.runInContext(`(() => {
      const F = Function, g = globalThis;
      function SafeFunction(...args) {
        if (args.length === 1 && String(args[0]).trim() === 'return this') return function () { return g; };
        throw new EvalError('Function constructor is not supported in the mini-program runtime');
      }
      SafeFunction.prototype = F.prototype;
      Object.defineProperty(F.prototype, 'constructor', { value: SafeFunction, writable: true, configurable: true });
      g.Function = SafeFunction;
    })();`, ctx);
    // Date follows the fake clock.
    vm.runInContext(`((simNow) => {
      const D = Date;
      class SimDate extends D { constructor(...a) { if (a.length === 0) super(simNow()); else super(...a); } static now() { return simNow(); } }
      globalThis.Date = SimDate;
    })`, ctx)(() => sim.clock.now());
    const timers = {
      setTimeout: (fn, ms, ...args) => (self.dead ? 0 : sim.clock.setTimeout(() => { if (!self.dead) fn(...args); }, ms, self)),
      clearTimeout: (id) => sim.clock.clearTimeout(id),
      setInterval: (fn, ms) => {
        const handle = { id: 0 };
        const run = () => { if (self.dead) return; handle.id = sim.clock.setTimeout(run, ms, self); fn(); };
        handle.id = sim.clock.setTimeout(run, ms, self);
        return handle;
      },
      clearInterval: (h) => { if (h) sim.clock.clearTimeout(h.id); },
    };
    Object.assign(ctx, timers);
    ctx.console = sim.log ? console : { log() {}, info() {}, debug() {}, warn() {}, error: (...a) => self.errors.push(a.join(' ')) };
    ctx.wx = this.makeWx(ctx);
    ctx.WXWebAssembly = this.makeWXWebAssembly();
    ctx.App = (options) => {
      if (self.appOptions) throw new Error('App() called twice');
      self.appOptions = options || {};
      self.appOptions.globalData = self.appOptions.globalData || {};
    };
    ctx.getApp = () => self.appOptions;
    ctx.Page = (options) => { self.pageDefs.set(self.registering, { kind: 'page', options: options || {} }); };
    ctx.Component = (options) => { if (self.registering) self.pageDefs.set(self.registering, { kind: 'component', options: options || {} }); };
    ctx.getCurrentPages = () => self.stack.slice();
    return ctx;
  }

  makeWXWebAssembly() {
    const sim = this.sim;
    return {
      instantiate(p, imports) {
        if (typeof p !== 'string') return Promise.reject(new Error('WXWebAssembly.instantiate: path must be a string path inside the code package'));
        if (!/\.wasm(\.br)?$/.test(p)) return Promise.reject(new Error(`WXWebAssembly.instantiate: ${p} does not end in .wasm or .wasm.br`));
        if (/^[a-z]+:/i.test(p)) return Promise.reject(new Error(`WXWebAssembly.instantiate: remote URLs are not supported (${p})`));
        const file = sim.resolvePackagePath(p);
        if (!file || !fs.existsSync(file)) return Promise.reject(new Error(`WXWebAssembly.instantiate: no such file in the package: ${p}`));
        let bytes = fs.readFileSync(file);
        if (p.endsWith('.br')) bytes = zlib.brotliDecompressSync(bytes);
        sim.wasmLoads = (sim.wasmLoads || 0) + 1;
        return WebAssembly.instantiate(bytes, imports); // the host's real WebAssembly
      },
      Memory: WebAssembly.Memory, Table: WebAssembly.Table, Global: WebAssembly.Global,
    };
  }

  makeWx(ctx) {
    const sim = this.sim;
    const self = this;
    const JSONin = () => self.realm.JSON; // values handed to the app are made in its realm
    const done = (o, ok, res) => {
      if (self.dead) return;
      try { if (ok) { if (o.success) o.success(res); } else if (o.fail) o.fail(res); if (o.complete) o.complete(res); } catch (e) { self.errors.push(e); }
    };
    const later = (fn) => setImmediate(() => { if (!self.dead) fn(); });
    const store = sim.storage;
    const wx = {
      // ---- storage
      setStorageSync(key, data) {
        store.stats.syncWrites++;
        const err = store.set(key, data, 'setStorageSync');
        if (err) throw new Error(err);
      },
      getStorageSync(key) { store.stats.syncReads++; const v = store.get(key, JSONin()); return v === undefined ? '' : v; },
      removeStorageSync(key) { store.map.delete(key); },
      clearStorageSync() { store.map.clear(); },
      getStorageInfoSync() { return { keys: store.keys(), currentSize: Math.ceil(store.bytes() / 1024), limitSize: MAX_STORAGE_BYTES / 1024 }; },
      setStorage(o) {
        store.stats.asyncWrites++;
        later(() => { const err = store.set(o.key, o.data, 'setStorage'); done(o, !err, err ? { errMsg: err } : { errMsg: 'setStorage:ok' }); });
      },
      getStorage(o) {
        later(() => {
          const v = store.get(o.key, JSONin());
          done(o, v !== undefined, v !== undefined ? { data: v, errMsg: 'getStorage:ok' } : { errMsg: 'getStorage:fail data not found' });
        });
      },
      removeStorage(o) { later(() => { store.map.delete(o.key); done(o, true, { errMsg: 'removeStorage:ok' }); }); },
      getStorageInfo(o) { later(() => done(o, true, { ...wx.getStorageInfoSync(), errMsg: 'getStorageInfo:ok' })); },
      // ---- network
      request(o) { return self.request(o); },
      onNetworkStatusChange(fn) { self.listeners.network.push(fn); },
      getNetworkType(o) { later(() => done(o, true, { networkType: sim.network.offline ? 'none' : 'wifi' })); },
      // ---- app
      getLaunchOptionsSync() { return { ...self.launchOptions }; },
      getEnterOptionsSync() { return { ...(self.enterOptions || self.launchOptions) }; },
      onAppShow(fn) { self.listeners.show.push(fn); },
      onAppHide(fn) { self.listeners.hide.push(fn); },
      offAppShow(fn) { self.listeners.show = self.listeners.show.filter((f) => f !== fn); },
      offAppHide(fn) { self.listeners.hide = self.listeners.hide.filter((f) => f !== fn); },
      getSystemInfoSync() { return { ...sim.systemInfo }; },
      getExtConfigSync() { return { ...sim.extConfig }; },
      getRandomValues(o) { later(() => done(o, true, { randomValues: new self.realm.Uint8Array(randomBytes(o.length || 16)).buffer })); },
      // ---- navigation (applied after the current handler, as the runtime does)
      navigateTo(o) { later(() => { self.navigate('navigateTo', o.url); done(o, true, { errMsg: 'navigateTo:ok' }); }); },
      redirectTo(o) { later(() => { self.navigate('redirectTo', o.url); done(o, true, { errMsg: 'redirectTo:ok' }); }); },
      navigateBack(o = {}) { later(() => { self.back(o.delta || 1); done(o, true, { errMsg: 'navigateBack:ok' }); }); },
      showToast() {}, showShareMenu() {}, hideShareMenu() {},
    };
    return wx;
  }

  request(o) {
    const sim = this.sim;
    const net = sim.network;
    const self = this;
    const fail = (errMsg) => setImmediate(() => { if (!self.dead) { try { o.fail && o.fail({ errMsg }); o.complete && o.complete({ errMsg }); } catch (e) { self.errors.push(e); } } });
    if (net.active >= MAX_CONCURRENT_REQUESTS) { net.rejected.push(o.url); fail('request:fail exceed max task count'); return { abort() {} }; }
    if (this.background && sim.clock.now() - this.hiddenAt >= BACKGROUND_NETWORK_MS) { fail('request:fail interrupted'); return { abort() {} }; }
    const url = new URL(o.url);
    if (url.hostname !== '127.0.0.1') { fail('request:fail url not in domain list'); return { abort() {} }; }
    net.active++;
    net.maxActive = Math.max(net.maxActive, net.active);
    const record = { url: o.url, method: o.method || 'GET', startedAt: sim.clock.now(), outcome: null };
    net.requests.push(record);
    let settled = false;
    const finish = (ok, res) => {
      if (settled) return;
      settled = true;
      net.active--;
      this.inflight.delete(entry);
      sim.clock.clearTimeout(timer);
      record.outcome = ok ? res.statusCode : res.errMsg;
      if (self.dead) return;
      try { if (ok) { if (o.success) o.success(res); } else if (o.fail) o.fail(res); if (o.complete) o.complete(res); } catch (e) { self.errors.push(e); }
    };
    const timeout = Math.min(Number(o.timeout) || MAX_REQUEST_TIMEOUT_MS, MAX_REQUEST_TIMEOUT_MS);
    const timer = sim.clock.setTimeout(() => { req && req.destroy(); finish(false, { errMsg: 'request:fail timeout' }); }, timeout, this);
    const entry = { interrupt: () => { req && req.destroy(); finish(false, { errMsg: 'request:fail interrupted' }); } };
    this.inflight.add(entry);
    let req = null;
    if (net.offline) { setImmediate(() => finish(false, { errMsg: 'request:fail -101:net::ERR_INTERNET_DISCONNECTED' })); return { abort() {} }; }
    let body = null;
    if (o.data instanceof this.realm.ArrayBuffer || o.data instanceof ArrayBuffer) body = Buffer.from(new Uint8Array(o.data));
    else if (ArrayBuffer.isView(o.data)) body = Buffer.from(o.data.buffer, o.data.byteOffset, o.data.byteLength);
    else if (typeof o.data === 'string') body = Buffer.from(o.data);
    else if (o.data !== undefined && o.data !== null) body = Buffer.from(JSON.stringify(o.data));
    req = http.request(url, { method: o.method || 'GET', headers: { ...(o.header || {}), Referer: 'https://servicewechat.com/wx0000000000000000/devtools/page-frame.html' } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let data = text;
        if ((o.dataType || 'json') === 'json') { try { data = this.realm.JSON.parse(text); } catch (e) { data = text; } }
        const header = {};
        for (let i = 0; i < res.rawHeaders.length; i += 2) header[res.rawHeaders[i]] = res.rawHeaders[i + 1];
        finish(true, { statusCode: res.statusCode, data, header, errMsg: 'request:ok' });
      });
      res.on('error', () => finish(false, { errMsg: 'request:fail' }));
    });
    req.on('error', (e) => finish(false, { errMsg: `request:fail ${e.code || e.message}` }));
    if (body) req.end(body); else req.end();
    return { abort: () => { req.destroy(); finish(false, { errMsg: 'request:fail abort' }); } };
  }

  // ---- modules -------------------------------------------------------------------------------
  require(from, spec) {
    let p;
    if (spec.startsWith('.') || spec.startsWith('/')) p = path.posix.normalize(path.posix.join(spec.startsWith('/') ? '/' : path.posix.dirname(from), spec));
    else p = `/miniprogram_npm/${spec}/index.js`; // what the mini-program npm build produces
    if (!p.endsWith('.js')) p += '.js';
    if (this.modules.has(p)) return this.modules.get(p).exports;
    const file = this.sim.resolvePackagePath(p);
    if (!file || !fs.existsSync(file)) throw new Error(`module not found in the package: ${spec} (from ${from})`);
    const module = { exports: {} };
    this.modules.set(p, module);
    const code = fs.readFileSync(file, 'utf8');
    const fn = vm.runInContext(`(function (module, exports, require, __wxRoute) {${code}\n})`, this.context, { filename: file });
    fn(module, module.exports, (s) => this.require(p, s), this.registering);
    return module.exports;
  }

  loadApp() {
    this.require('/app.js', '/app.js');
    for (const route of this.appJson.pages) {
      this.registering = route;
      this.require('/app.js', '/' + route + '.js');
    }
    this.registering = null;
    if (!this.appOptions) throw new Error('app.js did not call App()');
  }

  callApp(name, ...args) { const f = this.appOptions && this.appOptions[name]; if (typeof f === 'function') return f.apply(this.appOptions, args); }

  showApp(opts) {
    this.background = false;
    this.hiddenAt = null;
    this.enterOptions = opts;
    this.callApp('onShow', opts);
    for (const f of this.listeners.show) f({ ...opts });
  }

  // ---- pages ----------------------------------------------------------------------------------
  makePage(route, query) {
    const def = this.pageDefs.get(route);
    if (!def) throw new Error(`no page registered for ${route}`);
    const src = def.kind === 'page' ? def.options : { ...(def.options.methods || {}) };
    const page = Object.create(null);
    for (const [k, v] of Object.entries(src)) page[k] = v;
    page.data = JSON.parse(JSON.stringify((def.kind === 'page' ? def.options.data : def.options.data) || {}));
    page.route = route;
    page.__route__ = route;
    page.options = { ...query };
    page.setData = (patch) => { Object.assign(page.data, patch); };
    page.__wxml = (() => { const f = path.join(this.sim.packageDir, route + '.wxml'); return fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : ''; })();
    return page;
  }

  callPage(page, name, ...args) { if (page && typeof page[name] === 'function') return page[name](...args); }

  openPage(route, query) {
    const page = this.makePage(route, query);
    this.stack.push(page);
    this.callPage(page, 'onLoad', { ...query });
    this.callPage(page, 'onShow');
    this.callPage(page, 'onReady');
    return page;
  }

  navigate(kind, url) {
    const { route, query } = splitUrl(url);
    const top = this.stack[this.stack.length - 1];
    if (kind === 'redirectTo') { this.stack.pop(); this.callPage(top, 'onUnload'); } else this.callPage(top, 'onHide');
    this.openPage(route, query);
  }

  back(delta) {
    for (let i = 0; i < delta && this.stack.length > 1; i++) this.callPage(this.stack.pop(), 'onUnload');
    this.callPage(this.stack[this.stack.length - 1], 'onShow');
  }

  get currentPage() { return this.stack[this.stack.length - 1]; }

  // ---- drivers --------------------------------------------------------------------------------
  // A tap on the element with this id in the current page's WXML: its bindtap handler gets a tap
  // event whose currentTarget/target carry the element's dataset.
  async tap(id) {
    const page = this.currentPage;
    const el = readElement(page.__wxml, id, page.data);
    if (!el) throw new Error(`no element #${id} in ${page.route}.wxml`);
    if (el.openType === 'share') return this.share({ from: 'button', target: { id, dataset: el.dataset } });
    if (!el.handler) throw new Error(`#${id} has no bindtap`);
    const target = { id, dataset: el.dataset, offsetLeft: 0, offsetTop: 0 };
    const e = { type: 'tap', timeStamp: this.sim.clock.now(), target, currentTarget: target, detail: { x: 1, y: 1 }, touches: [], changedTouches: [] };
    this.callPage(page, el.handler, e);
    await tick();
    return el;
  }

  // The share panel: onShareAppMessage({from, target}); a returned Promise (or {promise}) is
  // awaited like the runtime does (3 s at most), and the content the friend gets comes back.
  async share({ from = 'menu', target } = {}) {
    const page = this.currentPage;
    if (typeof page.onShareAppMessage !== 'function') throw new Error(`${page.route} does not allow sharing`);
    let r = page.onShareAppMessage({ from, target });
    if (r && typeof r.then === 'function') r = await r;
    if (r && r.promise && typeof r.promise.then === 'function') { const { promise, ...rest } = r; r = { ...rest, ...(await promise) }; }
    await tick();
    return { title: (r && r.title) || '', path: (r && r.path) || '/' + page.route };
  }

  async shareTimeline() {
    const page = this.currentPage;
    let r = page.onShareTimeline();
    if (r && typeof r.then === 'function') r = await r;
    await tick();
    return { route: page.route, query: (r && r.query) || '' };
  }

  async hide() {
    this.callPage(this.currentPage, 'onHide');
    this.background = true;
    this.hiddenAt = this.sim.clock.now();
    this.callApp('onHide');
    for (const f of this.listeners.hide) f();
    // Requests still running 5 s later are interrupted.
    this.sim.clock.setTimeout(() => { if (this.background) for (const r of [...this.inflight]) r.interrupt(); }, BACKGROUND_NETWORK_MS, this);
    await tick();
  }

  async show({ scene = 1089, path: p, query } = {}) {
    const top = this.currentPage;
    const opts = { scene, path: p ? splitUrl(p).route : top.route, query: query || (p ? splitUrl(p).query : { ...top.options }), referrerInfo: {} };
    this.showApp(opts);
    // A hot start with another page (a chat card, a QR code) relaunches the page stack there.
    const samePage = opts.path === top.route && JSON.stringify(opts.query) === JSON.stringify({ ...top.options });
    if (samePage) this.callPage(top, 'onShow');
    else {
      while (this.stack.length) this.callPage(this.stack.pop(), 'onUnload');
      this.openPage(opts.path, opts.query);
    }
    await tick();
  }

  async navigateTo(url) { this.navigate('navigateTo', url); await tick(); }
  async navigateBack() { this.back(1); await tick(); }

  setNetwork(online) {
    this.sim.network.offline = !online;
    for (const f of this.listeners.network) f({ isConnected: online, networkType: online ? 'wifi' : 'none' });
  }

  // The user swipes the app away (or the OS reclaims it): nothing more runs; storage stays.
  kill() {
    this.dead = true;
    for (const r of [...this.inflight]) r.interrupt();
    this.sim.clock.dropOwner(this);
  }

  // Evaluates an expression inside the app's realm (tests only).
  eval(code) { return vm.runInContext(code, this.context); }
}
