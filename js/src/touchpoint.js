// The public API and the imperative shell around the C++ core. track()/page()/identify() only
// record the call (a JSON line) and schedule a drain; the drain hands all recorded calls to the
// core in one crossing, then performs what the core decided: send batches, persist state, arm the
// wake-up timer, tell listeners about tag changes. The core decides; this file does I/O.
import { loadCore } from './core-loader.js';
import { GuardedEngine } from './core-guard.js';
import { Emitter } from './emitter.js';
import { installAutotrack } from './autotrack/index.js'; // autotrack wiring (see _init)
import { decorateWebviewUrl } from './miniprogram/webview.js';
import { startKioskIdleTimer } from './kiosk.js';
import { createStorageRecordStore } from './storage/key-value.js';
import { declarePlatform } from './platform/contract.js';
import { systemClock } from './platform/common.js';

const VERSION = '0.1.0';
const KEEPALIVE_BUDGET = 64 * 1024;      // Chromium/Fetch spec: in-flight keepalive bodies per page
const KEEPALIVE_NORMAL_MAX = 32 * 1024;  // normal sends also survive a navigation when small
const MAX_PREINIT_CALLS = 1000;          // calls buffered before the core is ready (snippet pattern)
const PERSIST_COALESCE_MS = 1000;       // the small state (no events: they are records) is written at most every 1 s
const COOKIE_NAME = 'tp_anon';              // first-party cookie sharing anonymousId across sub-domains
const COOKIE_MAX_AGE_S = 365 * 24 * 3600;    // a year, like Segment's ajs_anonymous_id
const RULES_REFRESH_MS = 5 * 60 * 1000;  // how often rules are re-fetched (ETag makes it cheap)

// Mini-programs have neither queueMicrotask nor performance (docs/miniprogram.md); without
// performance the time spent in the core is measured with the platform's clock.
const defer = typeof queueMicrotask === 'function' ? queueMicrotask : (fn) => { Promise.resolve().then(fn); };
const monotonicMs = typeof performance === 'object' && performance && typeof performance.now === 'function'
  ? () => performance.now() : null;

function callLine(obj) {
  try { return JSON.stringify(obj); } catch (err) { return null; } // cyclic / BigInt / throwing toJSON: reported below
}

// String(v) that never throws (a throwing toString, a Symbol): null when it cannot be had.
function safeString(v) {
  try { return typeof v === 'symbol' ? v.toString() : String(v); } catch (err) { return null; }
}

// A short, never-throwing description of a caller's value for error messages.
function describe(v) {
  if (typeof v === 'string') return JSON.stringify(v.slice(0, 40));
  if (typeof v === 'bigint') return 'a BigInt';
  if (v === null || typeof v !== 'object' && typeof v !== 'function') return safeString(v) || typeof v;
  return `a ${typeof v}`;
}

export class Touchpoint {
  // platformFactory(initOptions) answers the platform adapter (js/src/platform/contract.js).
  // clock.now stamps the calls made before init(), when there is no platform yet; from init() on
  // every timestamp is the platform's now().
  constructor(platformFactory, defaults = {}, clock = {}) {
    this._platformFactory = platformFactory;
    this._now = typeof clock.now === 'function' ? clock.now : systemClock;
    this._defaults = defaults;
    this._emitter = new Emitter();
    this._lines = [];          // recorded calls not yet handed to the core
    this._scheduled = false;
    this._core = null;
    this._engine = null;
    this._timer = null;
    this._wakeAt = null;
    this._inFlight = new Map(); // batch id -> keepalive bytes
    this._rulesState = { version: '', tags: [], traits: {}, scores: {}, stages: {} };
    this._lastUrl = null;
    this._initPromise = null;
    this._persistTimer = null;
    this._flushWaiters = [];
    // The shared queue (docs/storage.md): records in this._records, written by every tab; only the
    // sender (this._sender) sends and adopts the records of other tabs and earlier pages.
    this._records = null;
    this._unwritten = new Map(); // key -> event: records whose put has not completed yet
    this._doneMarks = new Set(); // confirmed deliveries whose records may not be deleted yet
    this._unl = new Set();       // keys an unloading page sent without seeing the answer
    this._sender = false;
    this._memoryMode = false;    // the store failed: this tab keeps and sends its own events
    this._unloaded = false;      // pagehide happened: status-0 answers are the unload's, not the network's
    this.stats = { drains: 0, deferredMs: 0, calls: 0, sentBatches: 0, sentBytes: 0, sentEvents: 0 };
    this.version = VERSION;
  }

  // ---- public API -------------------------------------------------------------------------

  init(options = {}) {
    if (this._initPromise) return this._initPromise;
    this._initPromise = this._init(options).catch((err) => {
      this._error('init_failed', String(err && err.message || err));
      this._initPromise = null;
      throw err;
    });
    return this._initPromise;
  }

  // The hot path: one JSON.stringify of the properties and a string concatenation; the core gets
  // "t<TAB>ts<TAB>name<TAB>properties" (JSON.stringify never writes a raw tab or newline).
  // Never throws: a name or properties JSON.stringify refuses (BigInt, cycle, throwing toJSON) are
  // reported through on('error'); names of the wrong type are the core's to reject.
  track(event, properties) {
    let props, name;
    try { props = JSON.stringify(properties === undefined ? {} : properties); } catch (err) { props = null; }
    try { name = JSON.stringify(event === undefined ? null : event); } catch (err) { name = null; }
    if (props === null || props === undefined || name === null || name === undefined) {
      const what = name === null || name === undefined ? 'the event name' : 'properties';
      this._error('call_not_serialisable', `track(${describe(event)}): ${what} cannot be serialised (cycle, BigInt, function or throwing toJSON)`);
      return;
    }
    this._guardCall('track', () => this._push(`t\t${this._now()}\t${name}\t${props}`));
  }

  page(name, properties) {
    if (typeof name === 'object' && name !== null) { properties = name; name = undefined; }
    this._guardCall('page', () => this._refreshContext(true));
    this._record({ type: 'page', name: name === undefined ? null : name, properties: properties || {}, ts: this._now() });
  }

  // options.userHash: hex HMAC-SHA256(secret, userId) from the site's backend (identity verification).
  identify(userId, traits, options) {
    if (typeof userId === 'object' && userId !== null) { options = traits; traits = userId; userId = undefined; }
    const userHash = options && typeof options.userHash === 'string' ? options.userHash : undefined;
    this._record({ type: 'identify', userId: userId === undefined ? null : userId, traits: traits || {}, userHash, ts: this._now() });
  }

  reset() {
    this._record({ type: 'reset', ts: this._now() });
    this._afterDrain(() => this._writeCookie());
  }

  // The visitor left (kiosk mode ends visits by itself after kiosk.idleResetMs): visit_end goes out
  // under their ids, then ids, session, attribution, super properties and rule state are reset in
  // the core. Works without kiosk mode too (any shared device); before init() it is buffered like
  // every call and ends the restored visitor once the core is ready.
  endVisit() { this._endVisit('api', this._now()); }

  alias(userId, previousId) { this._record({ type: 'alias', userId, previousId: previousId || '', ts: this._now() }); }
  register(properties) { this._record({ type: 'register', properties }); }
  registerOnce(properties) { this._record({ type: 'register_once', properties }); }
  unregister(key) { this._record({ type: 'unregister', key: safeString(key) }); }
  // WeChat identities: kind is 'openid' | 'unionid' | 'appid'.
  setExternalId(kind, value) { this._record({ type: 'external_id', kind: safeString(kind), value: safeString(value) }); }

  // 'pending' holds events in memory (nothing stored or sent), 'granted' releases them, 'denied'
  // drops them, wipes stored ids and stops tracking. The decision itself is remembered.
  // The core is the one judge of a state: consent('yes') is rejected by it (reported through
  // on('error')) and never stored; only a state the core took is remembered (_adoptConsent).
  consent(state) {
    const s = safeString(state);
    if (!this._engine) { this._consentEarly = s; return; } // judged by the core in init()
    this._record({ type: 'consent', state: s });
    this._afterDrain(() => this._adoptConsent(s));
  }

  // Decorates a link with this visitor's share ids (referral chains) and sends `share`.
  // Synchronous: before init() it returns the url unchanged.
  // Never throws: options may be null or not an object, url anything String() takes.
  shareUrl(url, options) {
    if (!this._engine) return url;
    const href = safeString(url);
    const channel = options !== null && typeof options === 'object' ? safeString(options.channel || '') : '';
    if (href === null || channel === null) {
      this._error('share_url_invalid', 'shareUrl(): url and options.channel must be strings');
      return url;
    }
    let res = null;
    this._guardCall('shareUrl', () => {
      this._drain();
      this._timed(() => { res = this._call(() => this._engine.shareUrl(href, channel, this._now()), 'shareUrl'); });
      if (res && res.output) this._apply(res.output);
    });
    return res && typeof res.url === 'string' ? res.url : url;
  }

  // Decorates the src of a mini-program <web-view> with this visitor's ids, so the H5 page inside
  // continues the same visitor (docs/miniprogram.md). Before init() the url comes back unchanged.
  webviewUrl(url) { return this._engine ? decorateWebviewUrl(String(url), this.visit()) : String(url); }

  // Session, campaign (first/last touch), referral chain and ids of this visitor.
  visit() {
    if (!this._engine) return {};
    const v = this._call(() => this._engine.visit(), 'visit');
    return v && typeof v === 'object' ? v : {};
  }

  // Sends everything queued now; resolves when those batches have an answer (or the SDK is not ready).
  flush() {
    return new Promise((resolve) => {
      const run = () => {
        if (!this._engine) return resolve(false);
        try {
          this._drain();
          const out = this._call(() => this._engine.flush(this._now(), false, 0), 'flush');
          this._apply(out);
        } catch (err) {
          this._error('call_failed', `flush(): ${safeString(err && err.message || err)}`);
          return resolve(false);
        }
        if (this._inFlight.size === 0) return resolve(true);
        this._flushWaiters.push(resolve);
      };
      if (this._initPromise) this._initPromise.then(run, () => resolve(false)); else resolve(false);
    });
  }

  on(name, cb) { return this._emitter.on(name, cb); }
  off(name, cb) { this._emitter.off(name, cb); }

  tags() { return this._rulesState.tags.slice(); }
  traits() { return { ...this._rulesState.traits }; }
  scores() { return JSON.parse(JSON.stringify(this._rulesState.scores)); }
  stage(id) {
    if (!id) return { ...this._rulesState.stages };
    const key = safeString(id);
    return key === null ? null : (Object.prototype.hasOwnProperty.call(this._rulesState.stages, key) ? this._rulesState.stages[key] : null);
  }
  rulesVersion() { return this._rulesState.version; }
  anonymousId() { return this._engineStats().anonymousId || null; }
  userId() { return this._engineStats().userId || null; }
  queueStats() { return this._engineStats(); }

  // ---- internals --------------------------------------------------------------------------

  async _init(options) {
    const opts = { ...this._defaults, ...options };
    if (!opts.writeKey || typeof opts.writeKey !== 'string') throw new Error('touchpoint.init: writeKey (string) is required');
    if (!opts.endpoint || typeof opts.endpoint !== 'string') throw new Error('touchpoint.init: endpoint (URL string) is required');
    this._opts = opts;
    this._debug = !!opts.debug;
    const platform = declarePlatform(this._platformFactory(opts));
    this._platform = platform;
    this._now = platform.now.bind(platform); // one call on the hot path; the adapter's method may use `this`
    this._prefix = `tp:${opts.writeKey}:`;
    this._endpoint = opts.endpoint.replace(/\/+$/, '');
    this._batchUrl = `${this._endpoint}/v1/batch?writeKey=${encodeURIComponent(opts.writeKey)}`;
    this._platform.onLifecycle((kind) => this._onLifecycle(kind));
    // A navigation starts: Chromium cancels the page's requests (status 0) before pagehide, though
    // the server may have them (a reload with a backlog sent 20-40 events twice without this).
    this._platform.onNavigationStart(() => { this._unloaded = true; });

    // The rules request goes out now, in parallel with the wasm download; it is consumed after the
    // engine exists and init() never waits for it.
    const rulesRequest = opts.rules !== false ? this._requestRules() : null;
    const recordsOpening = Promise.resolve(this._platform.openRecords(opts))
      .catch((err) => ({ store: null, problems: [String(err && err.message || err)] }));
    const loadOptions = {
      wasmUrl: opts.wasmUrl || this._defaults.wasmUrl,
      wasmBinary: opts.wasmBinary,
      instantiateWasm: opts.instantiateWasm,
      onLog: (s) => this._log(s),
    };
    this._core = await loadCore(loadOptions);
    // The store is open before the engine exists: no call is drained before the state is restored.
    const { store, problems } = await recordsOpening;
    const seed = this._platform.randomSeed();
    this._tabId = seed.slice(0, 8);
    const config = { writeKey: opts.writeKey, seed, tabId: this._tabId };
    for (const k of ['flushAt', 'flushInterval', 'flushBytes', 'maxQueueEvents', 'maxQueueBytes', 'compress', 'sessionTimeout',
      'splitSessionsAtMidnight', 'utcOffsetMinutes', 'kiosk', 'acceptAny2xx', 'requestTimeoutMs'])
      if (opts[k] !== undefined) config[k] = opts[k];
    // A remembered decision wins over the page's default; 'granted' when neither says otherwise.
    // A decision made by consent() before init() is the newest of all.
    // Each candidate is judged by the core (_createEngine); only the one it took is stored.
    const early = this._consentEarly;
    this._consentEarly = undefined;
    const stored = this._platform.storage.get(this._prefix + 'consent');
    const candidates = [early, stored, opts.consent].filter((c) => c !== undefined && c !== null);
    // Sub-domains share the visitor through a first-party cookie (see cookieDomain).
    const cookieId = this._platform.readCookie(COOKIE_NAME);
    if (cookieId) config.anonymousId = cookieId;
    const { engine, consent } = this._createEngine(config, candidates, loadOptions);
    this._consentDecision = consent || 'granted';
    if (consent !== undefined && consent === early) this._platform.storage.set(this._prefix + 'consent', consent);
    else if (stored !== null && stored !== undefined && consent !== stored) this._platform.storage.remove(this._prefix + 'consent');
    this._engine = engine;
    const elect = this._platform.electSender;
    engine.setSender(!elect); // with an election, this tab only writes until it is the sender
    this._records = store || createStorageRecordStore(this._platform.storage, `${this._prefix}r:`);
    for (const p of problems) this._log(`storage: ${p}`);
    if (this._records.kind === 'memory' && this._platform.name === 'browser')
      this._error('storage_failed', `no persistent store (${problems.join('; ')}); events stay in memory for this page`);
    this._log(`storage: ${this._records.kind}`);

    // Restore what an earlier page left: identity, rule state (the small state); its events are
    // records, adopted by the sender. An older version's snapshot is migrated once.
    const granted = this._consentDecision === 'granted';
    const legacy = granted ? this._platform.storage.get(this._prefix + 'state') : null;
    const small = granted ? this._platform.storage.get(this._prefix + 'core') : null;
    const cachedRules = this._readCachedRules();
    if (cachedRules) this._loadRules(cachedRules.body, 'cache');
    if (legacy) this._migrate(legacy);
    if (small) this._apply(this._call(() => engine.restore(small, this._now())));
    if (granted) this._recoverSpill();
    const orphan = this._platform.storage.get(this._prefix + 'calls');
    let orphanCount = 0;
    if (orphan) {
      const lines = orphan.split('\n').filter(Boolean);
      orphanCount = lines.length;
      this._lines.unshift(...lines);
      this._platform.storage.remove(this._prefix + 'calls');
    }
    // Calls recorded before init() belong to this page: its context goes first.
    const ctx = this._contextLine(true);
    if (ctx) this._lines.splice(orphanCount, 0, ctx);
    if (rulesRequest) this._fetchRules(rulesRequest);
    this._drain();
    this._apply(this._call(() => engine.tick(this._now())));
    // ---- autotrack (js/src/autotrack/index.js): page views, clicks, exposure, scroll, engagement, forms
    if (opts.autotrack !== false)
      this._autotrack = installAutotrack({ track: (n, p) => this.track(n, p), page: (n, p) => this.page(n, p),
        log: (s) => this._log(`autotrack: ${s}`) }, opts.autotrack);
    // ---- end autotrack
    // ---- kiosk mode (js/src/kiosk.js): the core judged opts.kiosk and says what is in force
    const kiosk = this._engineStats().kiosk;
    if (kiosk && typeof document !== 'undefined' && document && typeof document.addEventListener === 'function') {
      this._kiosk = startKioskIdleTimer({ idleMs: kiosk.idleResetMs, now: () => this._platform.now(),
        setTimer: (fn, ms) => this._platform.setTimer(fn, ms), clearTimer: (h) => this._platform.clearTimer(h),
        target: document, onIdle: (endedAt) => this._endVisit('idle', endedAt) });
    } else if (kiosk) this._log('kiosk: no document to watch for interaction; visits end only by endVisit()');
    // ---- end kiosk mode
    this._writeCookie();
    if (elect) this._joinTabs(elect);
    else this._becomeSender();
    this._log(`ready: anonymousId ${this.anonymousId()}, ${this._engineStats().queued} events queued`);
    return this;
  }

  // ---- the shared queue (docs/storage.md) --------------------------------------------------

  // The previous version kept every event inside `tp:<writeKey>:state`: restoring it gives each
  // event a record key and a put; the old key goes once they are written.
  _migrate(legacy) {
    const out = this._call(() => this._engine.restore(legacy, this._now()));
    const n = out && out.put ? out.put.length : 0;
    this._apply(out, () => { this._platform.storage.remove(this._prefix + 'state'); this._log(`storage: ${n} events migrated to records`); });
  }

  // Records a page could not write before it went away (pagehide spill): written now.
  _recoverSpill() {
    for (const where of [this._platform.storage, this._platform.sessionStorage]) {
      const text = where && where.get(this._prefix + 'spill');
      if (!text) continue;
      where.remove(this._prefix + 'spill');
      const entries = [];
      for (const line of text.split('\n')) { const tab = line.indexOf('\t'); if (tab > 0) entries.push([line.slice(0, tab), line.slice(tab + 1)]); }
      if (entries.length) this._writeRecords(entries, { foreign: true });
    }
  }

  _joinTabs(elect) {
    this._channel = this._platform.openChannel(this._prefix + 'records');
    if (this._channel) this._channel.onMessage((msg) => { if (this._sender && msg && Array.isArray(msg.keys)) this._adoptKeys(msg.keys); });
    this._election = elect(this._prefix + 'sender', this._tabId, () => this._becomeSender(), () => this._stopSending());
  }

  // Another tab holds the role now (this one renewed its lease too late): stop sending; the
  // records stay stored for the new sender, which adopts them (the collector dedupes an overlap).
  _stopSending() {
    if (!this._sender || !this._engine) return;
    this._sender = false;
    this._engine.setSender(false);
    this._log('another tab took over sending (this tab renewed its lease too late): this tab stops sending');
  }

  _becomeSender() {
    if (this._sender || !this._engine) return;
    this._sender = true;
    this._engine.setSender(true);
    this._log('this tab is the sender');
    this._scanRecords();
  }

  // Adopts every stored record: confirmed ones (a `done` mark) are deleted instead, and those an
  // unloading page sent without seeing the answer (an `unl` mark) are checked against receipts.
  _scanRecords() {
    const st = this._platform.storage;
    const marks = (name) => new Set((st.get(this._prefix + name) || '').split('\n').filter(Boolean));
    this._records.getAll().then((all) => {
      if (!this._engine) return;
      const done = marks('done');
      for (const k of marks('unl')) this._unl.add(k);
      const unl = this._unl;
      for (const k of this._doneMarks) done.add(k);
      const lines = [];
      const confirmed = [];
      for (const [k, v] of all) {
        if (done.has(k)) confirmed.push(k);
        else lines.push(`${unl.has(k) ? '?' : ''}${k}\t${v}`);
      }
      st.remove(this._prefix + 'unl');
      if (confirmed.length) this._deleteRecords(confirmed);
      // Also with nothing to adopt: the new sender sends what it holds now.
      this._timed(() => this._apply(this._call(() => this._engine.adopt(lines.join('\n'), this._now()), 'adopt')));
    }, (err) => this._storeFailed(err, []));
  }

  _adoptKeys(keys) {
    this._records.get(keys).then((found) => {
      if (!this._engine || !found.length) return;
      const text = found.map(([k, v]) => `${this._unl.has(k) ? '?' : ''}${k}\t${v}`).join('\n');
      this._timed(() => this._apply(this._call(() => this._engine.adopt(text, this._now()), 'adopt')));
    }, () => {});
  }

  // Writes records (Output.put). A tab that is not the sender then forgets them (the sender adopts
  // them, told over the channel); `foreign` ones (a spill) are not this engine's: the sender adopts them.
  _writeRecords(entries, { foreign = false, then } = {}) {
    if (this._consentDecision !== 'granted') return;
    for (const [k, v] of entries) this._unwritten.set(k, v); // spilled at pagehide if still unwritten
    if (this._memoryMode) { if (foreign) this._adoptEntries(entries); return; }
    const keys = entries.map((e) => e[0]);
    const written = () => {
      this._storedSome = true;
      for (const k of keys) this._unwritten.delete(k);
      if (then) then();
      if (!this._engine) return;
      if (foreign && this._sender) this._adoptKeys(keys);
      else if (!this._sender && !this._memoryMode) {
        if (!foreign) this._call(() => String(this._engine.release(keys.join('\n'))), 'release');
        if (this._channel) this._channel.post({ keys });
      }
    };
    this._records.put(entries).then(written, (err) => {
      this._storeFailed(err, entries, written);
      if (this._memoryMode && foreign) this._adoptEntries(entries.filter(([k]) => this._unwritten.has(k)));
    });
  }

  // Records that could not be stored but are not in this engine (a spill): kept in memory and sent.
  _adoptEntries(entries) {
    if (!this._engine || !entries.length) return;
    const text = entries.map(([k, v]) => `${this._unl.has(k) ? '?' : ''}${k}\t${v}`).join('\n');
    this._timed(() => this._apply(this._call(() => this._engine.adopt(text, this._now()), 'adopt')));
  }

  // A delivery was confirmed (or events dropped): the mark is written synchronously, so a page
  // that dies before the delete completes does not make the next page send them again.
  _deleteRecords(keys) {
    for (const k of keys) { this._unwritten.delete(k); this._unl.delete(k); this._doneMarks.add(k); }
    this._writeMarks();
    this._records.remove(keys).then(() => {
      for (const k of keys) this._doneMarks.delete(k);
      this._writeMarks();
    }, () => {});
  }

  // Only the sender confirms deliveries, so only it writes the marks (no tab overwrites its marks).
  _writeMarks() {
    if (this._consentDecision !== 'granted' || !this._sender) return;
    const st = this._platform.storage;
    if (this._doneMarks.size) st.set(this._prefix + 'done', [...this._doneMarks].join('\n'));
    else st.remove(this._prefix + 'done');
  }

  // A full store: reported; when this SDK's own records take room in it (some write succeeded),
  // the core frees its oldest quarter (counted storage_full) and the write is tried once more. A
  // store that still fails (or is broken, or is full of others' data) leaves this tab in memory
  // mode: it keeps and sends its own events. Never silent.
  _storeFailed(err, entries, written) {
    const name = (err && err.name) || '';
    const msg = String(err && err.message || err);
    const full = name === 'QuotaExceededError' || /quota|exceed/i.test(msg);
    if (full && this._storedSome && !this._shedOnce && entries.length && this._engine) {
      this._shedOnce = true;
      this._error('storage_full', `the ${this._records.kind} store is full (${name || msg}); the oldest waiting events are freed (counted as dropped storage_full)`);
      this._apply(this._call(() => this._engine.shed(this._now()), 'shed'));
      const left = entries.filter(([k]) => this._unwritten.has(k));
      this._records.put(left).then(written, (e) => this._storeFailed(e, left, written));
      return;
    }
    if (this._memoryMode) return;
    this._memoryMode = true;
    this._error(full ? 'storage_full' : 'storage_failed', `the ${this._records.kind} store failed (${name ? name + ': ' : ''}${msg}); events stay in memory and this tab sends them itself`);
    if (this._engine) this._engine.setSender(true);
  }

  _probe(probe) {
    const done = (res) => {
      if (!this._engine) return;
      this._timed(() => this._apply(this._call(() => this._engine.receipts(probe.id, res.status, res.body || '', this._now()), 'receipts')));
    };
    if (typeof TextEncoder !== 'function') return done({ status: 0 });
    const url = `${this._endpoint}/v1/receipts?writeKey=${encodeURIComponent(this._opts.writeKey)}`;
    const bytes = new TextEncoder().encode(JSON.stringify({ messageIds: probe.messageIds }));
    this._platform.send(url, bytes, false).then(done, () => done({ status: 0 }));
  }

  _record(call) {
    const line = callLine(call);
    if (line === null || line === undefined) {
      this._error('call_not_serialisable', `${call.type}(): its data cannot be serialised (cycle, BigInt, function or throwing toJSON)`);
      return;
    }
    this._guardCall(call.type, () => this._push(line));
  }

  // Runs the shell's own work for a public call; a throw (a platform adapter failing, a bug here)
  // is reported, never thrown into the page.
  _guardCall(what, fn) {
    try { fn(); } catch (err) { this._error('call_failed', `${what}(): ${safeString(err && err.message || err)}`); }
  }

  _push(line) {
    if (this._lines.length >= MAX_PREINIT_CALLS && !this._engine) {
      this._error('buffer_full', `more than ${MAX_PREINIT_CALLS} calls before init(); call dropped`);
      return;
    }
    if (this._platform && this._platform.currentUrl() !== this._lastUrl) this._refreshContext(false);
    this._lines.push(line);
    this.stats.calls++;
    if (!this._scheduled && this._engine) {
      this._scheduled = true;
      defer(() => this._drain());
    }
  }

  // The page context travels as a call of its own, recorded whenever the URL changed (SPA routes),
  // so each event carries the page it was tracked on.
  _contextLine(force) {
    if (!this._platform) return null;
    const url = this._platform.currentUrl();
    if (!force && url === this._lastUrl) return null;
    this._lastUrl = url;
    // The local UTC offset (minutes east) goes with each context line: the core has no time zone,
    // and splits sessions at local midnight with it (splitSessionsAtMidnight). DST: docs/identity.md.
    const context = this._platform.context();
    if (context && context.utcOffsetMinutes === undefined) context.utcOffsetMinutes = -new Date().getTimezoneOffset();
    return callLine({ type: 'context', context });
  }

  _refreshContext(force) {
    const line = this._contextLine(force);
    if (line) this._lines.push(line);
  }

  // Hands every recorded call to the core in one crossing and applies its decisions.
  _drain() {
    this._scheduled = false;
    if (!this._engine || this._lines.length === 0) return;
    this._timed(() => {
      const input = this._lines.join('\n');
      this._lines = [];
      this._apply(this._call(() => this._engine.ingest(input, this._now())));
      this.stats.drains++;
    });
  }

  // Main-thread time spent outside the caller's track() calls, for `make bench`.
  _timed(fn) {
    const clock = monotonicMs || this._now;
    const t0 = clock();
    try { fn(); } finally { this.stats.deferredMs += clock() - t0; }
  }

  // Calls into the core go through GuardedEngine (js/src/core-guard.js), which turns an abort into
  // one `core_failed` report and a recovery; what is left to catch here is an answer that is not JSON.
  _call(fn, what = 'call') {
    let text;
    try {
      text = fn();
      return text === '' ? null : JSON.parse(text);
    } catch (err) {
      this._error('core_answer_invalid', `${what}: the core answered something that is not JSON (${safeString(err && err.message || err)})`);
      return null;
    }
  }

  // Hooks of the GuardedEngine around the wasm engine: a recovered core hands back the outputs of
  // the calls it replayed (replayed ones without the errors already reported), and calls it could
  // not take are kept for the next page like those of a core that never loaded.
  _coreHooks(loadOptions) {
    return {
      reload: () => loadCore({ ...loadOptions, fresh: true }),
      consent: () => this._consentDecision,
      now: () => this._now(),
      onFailure: (code, message) => this._error(code, message),
      onRecovered: (outputs) => {
        this._log(`core recovered (${outputs.length} outputs replayed)`);
        for (const o of outputs) {
          const out = this._call(() => o.text, 'recovery');
          if (out && o.replay) out.errors = [];
          this._guardCall('recovery', () => this._apply(out));
        }
        this._guardCall('recovery', () => this._persist());
      },
      onAbandon: (lines) => {
        if (!lines.length || !this._platform || this._consentDecision !== 'granted') return;
        const prev = this._platform.storage.get(this._prefix + 'calls');
        this._platform.storage.set(this._prefix + 'calls', (prev ? prev + '\n' : '') + lines.join('\n'));
      },
    };
  }

  // Creates the guarded engine; a consent state the core rejects (an early consent() call, a value
  // stored by an older version, the page's option) is reported and the next candidate is tried.
  _createEngine(config, consentCandidates, loadOptions) {
    for (const candidate of [...consentCandidates, undefined]) {
      const c = { ...config };
      if (candidate !== undefined) c.consent = candidate;
      const engine = new GuardedEngine(this._core, JSON.stringify(c), this._coreHooks(loadOptions));
      const err = engine.error();
      if (!err) return { engine, consent: c.consent };
      engine.delete();
      let parsed = {};
      try { parsed = JSON.parse(err); } catch (e) { /* reported below as is */ }
      if (parsed.field !== '/consent') throw new Error(`touchpoint.init: ${parsed.message || err}`);
      this._error('consent_invalid', `consent ${describe(candidate)} ignored: ${parsed.message}`, { field: '/consent' });
    }
    throw new Error('touchpoint.init: no usable configuration');
  }

  // After a consent() call was drained: remember the state only if the core now holds exactly it.
  _adoptConsent(requested) {
    const state = this._engineStats().consent;
    if (typeof state !== 'string' || state !== requested) return;
    this._consentDecision = state;
    this._platform.storage.set(this._prefix + 'consent', state);
    if (state === 'granted') { this._persist(); this._writeCookie(); } // what consent released is durable now
  }

  // `written`: called once the records of this output are stored (migration).
  _apply(out, written) {
    if (!out) return;
    if (out.wipe) this._wipe();
    if (out.put && out.put.length) this._writeRecords(out.put, { then: written });
    if (out.del && out.del.length) this._deleteRecords(out.del);
    if (out.probe) this._probe(out.probe);
    if (out.replaceUrl && this._platform.replaceUrl(out.replaceUrl)) this._lastUrl = out.replaceUrl;
    if (out.log) for (const line of out.log) this._log(line);
    if (out.errors) for (const e of out.errors) this._error(e.code, e.message, e);
    if (out.send && out.send.length) for (const s of out.send) this._send(s);
    if (out.rules && out.rules.length) this._rulesChanged(out.rules);
    // New events are made durable at once; other changes (deliveries, retries) are coalesced: a
    // stale snapshot only re-sends events the backend already has, and it dedupes on messageId.
    if (out.persist) { if (out.accepted > 0) this._persist(); else this._persistSoon(); }
    this._arm(out.wake);
  }

  _send(info, unloading = false) {
    const bytes = this._engine.batchBody(info.id).slice(); // copy out of wasm memory
    const keepalive = unloading || (bytes.length <= KEEPALIVE_NORMAL_MAX && this._keepaliveBytes() + bytes.length <= KEEPALIVE_BUDGET);
    this._inFlight.set(info.id, keepalive ? bytes.length : 0);
    this.stats.sentBatches++;
    this.stats.sentBytes += bytes.length;
    this.stats.sentEvents += info.events;
    const sending = unloading
      ? this._platform.sendOnUnload(this._batchUrl, bytes, keepalive)
      : this._platform.send(this._batchUrl, bytes, keepalive);
    sending.then((res) => {
      this._inFlight.delete(info.id);
      if (!this._engine) return;
      // Chromium answers status 0 for requests of a page being unloaded (from `hidden` on), even
      // those the server answered: re-sending them would only duplicate. The `unl` mark (pagehide)
      // lets the next page check them against the collector's receipts instead.
      if (this._unloaded && res.status === 0) { this._flushed(); return; }
      this._emitter.emit('delivery', { batch: info.id, events: info.events, status: res.status });
      this._timed(() => this._apply(this._call(() => this._engine.delivered(info.id, res.status, res.retryAfterMs, res.body || '', this._now()))));
      this._flushed();
    });
  }

  _flushed() { if (this._inFlight.size === 0) { const w = this._flushWaiters; this._flushWaiters = []; w.forEach((r) => r(true)); } }

  _keepaliveBytes() { let n = 0; for (const b of this._inFlight.values()) n += b; return n; }

  // Consent denied: nothing of this visitor stays on the device (the decision itself does).
  _wipe() {
    for (const k of ['state', 'core', 'calls', 'rules', 'done', 'unl', 'spill']) this._platform.storage.remove(this._prefix + k);
    if (this._platform.sessionStorage) this._platform.sessionStorage.remove(this._prefix + 'spill');
    this._unwritten.clear();
    this._doneMarks.clear();
    if (this._records) this._records.getAll().then((all) => this._records.remove(all.map((r) => r[0])), () => {});
    this._platform.writeCookie(COOKIE_NAME, '', { domain: this._opts.cookieDomain, maxAgeS: 0 });
  }

  _writeCookie() {
    if (this._consentDecision !== 'granted' || this._opts.cookie === false) return;
    const id = this.anonymousId();
    if (id) this._platform.writeCookie(COOKIE_NAME, id, { domain: this._opts.cookieDomain, maxAgeS: COOKIE_MAX_AGE_S });
  }

  // One visitor ends (reason 'idle' | 'api'); the shell then forgets what it mirrors of them.
  _endVisit(reason, ts) {
    if (this._kiosk) this._kiosk.visitEnded();
    this._guardCall('endVisit', () => this._drain()); // calls made before belong to the leaving visitor
    const previousAnonymousId = this.anonymousId();
    this._record({ type: 'end_visit', reason, ts });
    this._afterDrain(() => {
      this._writeCookie();
      this._rulesState = this._call(() => this._engine.rulesState(this._now())) || this._rulesState;
      this._emitter.emit('visit_end', { reason, previousAnonymousId, anonymousId: this.anonymousId() });
    });
  }

  _afterDrain(fn) { defer(() => { if (this._engine) { this._drain(); fn(); } }); }

  _persistSoon() {
    if (this._persistTimer) return;
    this._persistTimer = this._platform.setTimer(() => this._timed(() => this._persist()), PERSIST_COALESCE_MS);
  }

  _persist() {
    if (this._persistTimer) { this._platform.clearTimer(this._persistTimer); this._persistTimer = null; }
    if (this._consentDecision !== 'granted') return; // without consent nothing is stored
    const state = this._engine.state();
    if (!state) return; // the core is down (core-guard.js)
    const err = this._platform.storage.set(this._prefix + 'core', state);
    if (err && !this._stateErrorReported) {
      this._stateErrorReported = true;
      this._error('storage_failed', `could not persist the visitor's state (${err}); it stays in memory`);
    }
  }

  // The page goes away (pagehide): what it sent without seeing the answer is marked, and records
  // whose write has not completed are spilled synchronously, so the next page loses nothing and
  // re-sends only what no page saw confirmed.
  _markUnload() {
    this._unloaded = true;
    if (this._consentDecision !== 'granted') return;
    const st = this._platform.storage;
    const keys = this._sender ? String(this._engine.inFlightKeys() || '').trim() : '';
    if (keys) {
      const prev = st.get(this._prefix + 'unl');
      st.set(this._prefix + 'unl', (prev ? prev + '\n' : '') + keys);
    }
    if (this._unwritten.size) {
      const text = [...this._unwritten].map(([k, v]) => `${k}\t${v}`).join('\n');
      if (st.set(this._prefix + 'spill', text) && this._platform.sessionStorage) {
        const err = this._platform.sessionStorage.set(this._prefix + 'spill', text);
        if (err) this._error('storage_full', `${this._unwritten.size} events could not be stored before the page went away (${err})`);
      }
    }
  }

  _arm(wake) {
    if (wake === null || wake === undefined) return;
    if (this._timer && this._wakeAt !== null && this._wakeAt <= wake) return;
    if (this._timer) this._platform.clearTimer(this._timer);
    this._wakeAt = wake;
    this._timer = this._platform.setTimer(() => this._onWake(), Math.max(0, wake - this._now()));
  }

  _onWake() {
    this._timer = null;
    this._wakeAt = null;
    if (!this._engine) return;
    this._drain();
    // advanceRules also sends whatever became due (it is tick() plus time-driven tag expiry).
    this._timed(() => this._apply(this._call(() => this._engine.advanceRules(this._now()))));
  }

  _onLifecycle(kind) {
    // Visible again, back from the bfcache or back online: status-0 answers are the network's again,
    // and the waiting backlog is due now (core: Engine::resume).
    if (kind === 'visible' || kind === 'pageshow' || kind === 'online') {
      this._unloaded = false;
      if (this._engine) this._apply(this._call(() => this._engine.resume(this._now())));
      return;
    }
    if (!this._engine) {
      // The core never loaded: keep the recorded calls for the next page.
      if (this._lines.length && this._platform && this._consentDecision !== 'pending' && this._consentDecision !== 'denied') {
        const prev = this._platform.storage.get(this._prefix + 'calls');
        this._platform.storage.set(this._prefix + 'calls', (prev ? prev + '\n' : '') + this._lines.join('\n'));
        this._lines = [];
      }
      return;
    }
    // Hidden may be the start of an unload: Chromium then cancels the page's normal requests with
    // status 0 although the server may have them. Those stay in flight (re-sent after
    // kInFlightTimeoutMs if the page lives on, checked against receipts by the next page if not).
    this._unloaded = true;
    this._drain();
    // Everything not in flight goes out now as keepalive requests, which outlive the page. Their
    // answers are handled like any other if the page lives on (hidden, then visible again; bfcache).
    const out = this._call(() => this._engine.flush(this._now(), true, Math.max(0, KEEPALIVE_BUDGET - this._keepaliveBytes())));
    if (out && out.send) { for (const s of out.send) this._send(s, true); out.send = []; }
    this._apply(out);
    this._persist(); // what went out on unload stays stored until confirmed
    if (kind === 'pagehide') this._markUnload();
  }

  _rulesChanged(changes) {
    this._rulesState = this._call(() => this._engine.rulesState(this._now())) || this._rulesState;
    for (const c of changes) {
      if (c.tags_added || c.tags_removed)
        this._emitter.emit('tags', { added: c.tags_added || [], removed: c.tags_removed || [], tags: this.tags() });
      if (c.scores) this._emitter.emit('scores', { changes: c.scores, scores: this.scores() });
      if (c.stages) this._emitter.emit('stage', { changes: c.stages, stages: this.stage() });
    }
  }

  _readCachedRules() {
    const raw = this._platform.storage.get(this._prefix + 'rules');
    if (!raw) return null;
    try { const v = JSON.parse(raw); return v && typeof v.body === 'string' ? v : null; } catch (e) { return null; }
  }

  _loadRules(body, source) {
    const errors = this._call(() => this._engine.loadRules(body)) || [];
    if (errors.length) {
      const msg = errors.slice(0, 5).map((e) => `${e.path}: ${e.message}`).join('; ');
      this._error('rules_rejected', `rules from ${source} rejected (the set in force stays): ${msg}`, { errors });
      this.track('rules_rejected', { source, errors: errors.slice(0, 20) });
      return false;
    }
    this._rulesState = this._call(() => this._engine.rulesState(this._now())) || this._rulesState;
    this._emitter.emit('rules', { version: this._rulesState.version, source });
    return true;
  }

  // Starts the conditional GET of the rules; never rejects (a failure resolves to {error}).
  _requestRules() {
    const url = this._opts.rulesUrl || `${this._endpoint}/v1/rules?writeKey=${encodeURIComponent(this._opts.writeKey)}`;
    // A platform whose storage preloads asynchronously (mini-programs) is read only once ready().
    const ready = Promise.resolve(this._platform.ready());
    return ready.then(() => {
      const cached = this._readCachedRules();
      // The platform fetches ({status, etag, body}): mini-programs have wx.request, not fetch.
      return this._platform.fetchRules(url, cached && cached.etag ? cached.etag : '');
    }).then((res) => ({ res }), (error) => ({ error }));
  }

  async _fetchRules(request) {
    try {
      const { res, error } = await (request || this._requestRules());
      if (error) throw error;
      if (res.status === 200) {
        if (this._loadRules(res.body, 'backend'))
          this._platform.storage.set(this._prefix + 'rules', JSON.stringify({ etag: res.etag || '', body: res.body }));
      } else if (res.status !== 304 && res.status !== 404) {
        this._log(`rules: HTTP ${res.status}; keeping the rules in force`);
      }
    } catch (err) {
      this._log(`rules: fetch failed (${err && err.message || err}); keeping the cached rules`);
    }
    const t = this._platform.setTimer(() => this._fetchRules(), this._opts.rulesRefreshInterval || RULES_REFRESH_MS);
    if (t && t.unref) t.unref();
  }

  _engineStats() {
    if (!this._engine) return {};
    return this._call(() => this._engine.stats()) || {};
  }

  _log(msg) { if (this._debug) console.debug('[touchpoint]', msg); }

  _error(code, message, detail) {
    if (this._debug) console.warn('[touchpoint]', code, message);
    const payload = { code, message, ...(detail && detail.field !== undefined ? { field: detail.field } : {}), ...(detail && detail.errors ? { errors: detail.errors } : {}) };
    // Debug hook for harnesses (tests/support/browser.mjs): sees every error of every instance from page start.
    const hooks = globalThis.__touchpointHooks;
    if (hooks && typeof hooks.onError === 'function') { try { hooks.onError(payload); } catch (e) { /* a harness problem */ } }
    this._emitter.emit('error', payload);
  }
}
